using System.Globalization;
using System.Text.Json;
using Sharedcloud.Es.Api.Infrastructure;

namespace Sharedcloud.Es.Api.Instances;

/// <summary>
/// An instance's response written straight from its stored read model (the JSON of an
/// <see cref="Domain.Instances.Instance"/> as Marten stores it), without materialising the document
/// or the response: the fields are found in the stored JSON and copied, or converted where the response's
/// form differs (the id's name, timestamps in <see cref="ApiTimestamp"/>'s form, "n/a" for no GPU's name).
/// The output is byte for byte what <see cref="InstanceResponse"/> serialised with <see cref="ApiJson.Api"/>
/// gives (a test holds the two together).
/// </summary>
public static class InstanceJson
{
    // The stored document's properties that the response uses (snake_case, as Marten stores them).
    private enum Field { Id, Type, GpuId, GpuName, NumRunningJobs, UpdatedAt, CreatedAt, NumAssignedJobs, LastConnection, Name, Status, AskPrice, DownloadedImages, MaxNumParallelJobs, Version, Count }

    // The response's names, encoded once (the writer neither checks nor escapes them again).
    private static readonly JsonEncodedText Uuid = JsonEncodedText.Encode("uuid"u8), TypeName = JsonEncodedText.Encode("type"u8),
        Gpu = JsonEncodedText.Encode("gpu"u8), GpuName = JsonEncodedText.Encode("gpu_name"u8),
        NumRunningJobs = JsonEncodedText.Encode("num_running_jobs"u8), UpdatedAt = JsonEncodedText.Encode("updated_at"u8),
        CreatedAt = JsonEncodedText.Encode("created_at"u8), CurrentServerTime = JsonEncodedText.Encode("current_server_time"u8),
        NumAssignedJobs = JsonEncodedText.Encode("num_assigned_jobs"u8), LastConnection = JsonEncodedText.Encode("last_connection"u8),
        Name = JsonEncodedText.Encode("name"u8), Status = JsonEncodedText.Encode("status"u8), AskPrice = JsonEncodedText.Encode("ask_price"u8),
        DownloadedImages = JsonEncodedText.Encode("downloaded_images"u8), MaxNumParallelJobs = JsonEncodedText.Encode("max_num_parallel_jobs"u8);

    /// <summary>The field a stored property name stands for (<see cref="Field.Count"/>: one the response does not use).</summary>
    private static Field FieldOf(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => Field.Id,
        4 when name.SequenceEqual("type"u8) => Field.Type,
        4 when name.SequenceEqual("name"u8) => Field.Name,
        6 when name.SequenceEqual("gpu_id"u8) => Field.GpuId,
        6 when name.SequenceEqual("status"u8) => Field.Status,
        7 when name.SequenceEqual("version"u8) => Field.Version,
        8 when name.SequenceEqual("gpu_name"u8) => Field.GpuName,
        9 when name.SequenceEqual("ask_price"u8) => Field.AskPrice,
        10 when name.SequenceEqual("updated_at"u8) => Field.UpdatedAt,
        10 when name.SequenceEqual("created_at"u8) => Field.CreatedAt,
        15 when name.SequenceEqual("last_connection"u8) => Field.LastConnection,
        16 when name.SequenceEqual("num_running_jobs"u8) => Field.NumRunningJobs,
        17 when name.SequenceEqual("num_assigned_jobs"u8) => Field.NumAssignedJobs,
        17 when name.SequenceEqual("downloaded_images"u8) => Field.DownloadedImages,
        21 when name.SequenceEqual("max_num_parallel_jobs"u8) => Field.MaxNumParallelJobs,
        _ => Field.Count,
    };

    /// <summary>Each field's value in the stored JSON, as the range of its token(s); absent: an empty range.</summary>
    private static void Locate(ReadOnlySpan<byte> stored, Span<Range> values)
    {
        values.Clear();
        var reader = new Utf8JsonReader(stored);
        reader.Read(); // {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Names with escapes are none of the response's.
            var field = reader.ValueIsEscaped ? Field.Count : FieldOf(reader.ValueSpan);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (field != Field.Count) values[(int)field] = start..(int)reader.BytesConsumed;
        }
    }

    /// <summary>The stream version the stored document reflects (its ETag).</summary>
    public static long VersionOf(ReadOnlySpan<byte> stored)
    {
        Span<Range> values = stackalloc Range[(int)Field.Count];
        Locate(stored, values);
        var version = stored[values[(int)Field.Version]];
        return version.IsEmpty ? 0 : long.Parse(version, CultureInfo.InvariantCulture);
    }

    /// <summary>The response for one stored instance document, at <paramref name="now"/>.</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> stored, DateTimeOffset now) =>
        Write(writer, stored, new ServerTime(now));

    /// <summary>
    /// The response for one stored instance document, with <paramref name="now"/> formatted once for all of
    /// them (a list's twenty responses).
    /// </summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> stored, in ServerTime now)
    {
        Span<Range> values = stackalloc Range[(int)Field.Count];
        Locate(stored, values);
        writer.WriteStartObject();
        writer.WritePropertyName(Uuid);
        CopyString(writer, stored[values[(int)Field.Id]]);
        writer.WritePropertyName(TypeName);
        CopyNumber(writer, stored[values[(int)Field.Type]]);
        writer.WritePropertyName(Gpu);
        CopyString(writer, stored[values[(int)Field.GpuId]]);
        writer.WritePropertyName(GpuName);
        var gpuName = stored[values[(int)Field.GpuName]];
        if (IsNull(gpuName)) writer.WriteStringValue("n/a"u8);
        else CopyString(writer, gpuName);
        writer.WritePropertyName(NumRunningJobs);
        CopyNumber(writer, stored[values[(int)Field.NumRunningJobs]]);
        writer.WritePropertyName(UpdatedAt);
        WriteTime(writer, stored[values[(int)Field.UpdatedAt]]);
        writer.WritePropertyName(CreatedAt);
        WriteTime(writer, stored[values[(int)Field.CreatedAt]]);
        writer.WritePropertyName(CurrentServerTime);
        writer.WriteStringValue(now.Text);
        writer.WritePropertyName(NumAssignedJobs);
        CopyNumber(writer, stored[values[(int)Field.NumAssignedJobs]]);
        writer.WritePropertyName(LastConnection);
        WriteTime(writer, stored[values[(int)Field.LastConnection]]);
        writer.WritePropertyName(Name);
        CopyString(writer, stored[values[(int)Field.Name]]);
        writer.WritePropertyName(Status);
        CopyNumber(writer, stored[values[(int)Field.Status]]);
        writer.WritePropertyName(AskPrice);
        CopyNumber(writer, stored[values[(int)Field.AskPrice]]);
        writer.WritePropertyName(DownloadedImages);
        writer.WriteStartArray();
        if (stored[values[(int)Field.DownloadedImages]] is { IsEmpty: false } images && images[0] == (byte)'[')
        {
            var reader = new Utf8JsonReader(images);
            reader.Read(); // [
            while (reader.Read() && reader.TokenType == JsonTokenType.String) WriteString(writer, ref reader);
        }
        writer.WriteEndArray();
        writer.WritePropertyName(MaxNumParallelJobs);
        CopyNumber(writer, stored[values[(int)Field.MaxNumParallelJobs]]);
        writer.WriteEndObject();
    }

    /// <summary>The response's current_server_time, formatted once.</summary>
    public readonly struct ServerTime
    {
        private readonly byte[] _text;

        private readonly int _length;

        public ServerTime(DateTimeOffset now)
        {
            _text = new byte[ApiTimestamp.Format.Length];
            _length = ApiTimestamp.FormatUtf8(now, _text);
        }

        public ReadOnlySpan<byte> Text => _text.AsSpan(0, _length);
    }

    private static bool IsNull(ReadOnlySpan<byte> value) => value.IsEmpty || value[0] == (byte)'n';

    private static void CopyNumber(Utf8JsonWriter writer, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) writer.WriteNumberValue(0); // absent: the document's default
        else writer.WriteRawValue(value, skipInputValidation: true);
    }

    private static void CopyString(Utf8JsonWriter writer, ReadOnlySpan<byte> value)
    {
        if (IsNull(value))
        {
            writer.WriteNullValue();
            return;
        }
        var text = value[1..^1]; // between the quotes
        if (text.IndexOf((byte)'\\') < 0) writer.WriteStringValue(text); // UTF-8 text, escaped as the response's encoder escapes
        else
        {
            var reader = new Utf8JsonReader(value);
            reader.Read();
            WriteString(writer, ref reader);
        }
    }

    private static void WriteString(Utf8JsonWriter writer, ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped) writer.WriteStringValue(reader.GetString());
        else writer.WriteStringValue(reader.ValueSpan); // UTF-8 text, escaped as the response's encoder escapes
    }

    /// <summary>
    /// A stored time in the response's form. Marten stores them as <c>yyyy-MM-ddTHH:mm:ss.ffffff+00:00</c>; in UTC
    /// the response's <c>dd-MM-yyyy HH:mm:ss</c> is those digits reordered (the format truncates the fraction, it
    /// does not round); another offset, or another form, is parsed and formatted.
    /// </summary>
    private static void WriteTime(Utf8JsonWriter writer, ReadOnlySpan<byte> value)
    {
        if (IsNull(value))
        {
            writer.WriteNullValue();
            return;
        }
        var text = value[1..^1];
        if (IsUtcIsoTime(text))
        {
            Span<byte> response = stackalloc byte[19];
            text[8..10].CopyTo(response);          // dd
            response[2] = (byte)'-';
            text[5..7].CopyTo(response[3..]);      // MM
            response[5] = (byte)'-';
            text[..4].CopyTo(response[6..]);       // yyyy
            response[10] = (byte)' ';
            text[11..19].CopyTo(response[11..]);   // HH:mm:ss
            writer.WriteStringValue(response);
            return;
        }
        var reader = new Utf8JsonReader(value);
        reader.Read();
        ApiTimestamp.Write(writer, reader.GetDateTimeOffset());
    }

    /// <summary><c>yyyy-MM-ddTHH:mm:ss</c>, an optional fraction, then <c>Z</c> or <c>+00:00</c>.</summary>
    private static bool IsUtcIsoTime(ReadOnlySpan<byte> text)
    {
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') return false;
        foreach (var at in (ReadOnlySpan<int>)[0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
            if (!char.IsAsciiDigit((char)text[at])) return false;
        var zone = text[19..];
        if (zone.Length > 0 && zone[0] == '.')
        {
            var digits = 1;
            while (digits < zone.Length && char.IsAsciiDigit((char)zone[digits])) digits++;
            if (digits == 1) return false;
            zone = zone[digits..];
        }
        return zone.SequenceEqual("Z"u8) || zone.SequenceEqual("+00:00"u8);
    }
}
