using System.Text.Json;
using Sharedcloud.Es.Api.Infrastructure;

namespace Sharedcloud.Es.Api.Instances;

/// <summary>
/// An instance's response written straight from its stored read model (the JSON of an
/// <see cref="Projections.Instances.InstanceDetails"/> as Marten stores it), without materialising the document
/// or the response: the fields are found in the stored JSON and copied, or converted where the response's
/// form differs (the id's name, timestamps in <see cref="ApiTimestamp"/>'s form, "n/a" for no GPU's name).
/// The output is byte for byte what <see cref="InstanceResponse"/> serialised with <see cref="ApiJson.Api"/>
/// gives (a test holds the two together).
/// </summary>
public static class InstanceJson
{
    // The stored document's properties that the response uses (snake_case, as Marten stores them).
    private enum Field { Id, Type, GpuId, GpuName, NumRunningJobs, UpdatedAt, CreatedAt, NumAssignedJobs, LastConnection, Name, Status, AskPrice, DownloadedImages, MaxNumParallelJobs, Version, Count }

    private static Field FieldOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("id"u8) ? Field.Id :
        reader.ValueTextEquals("type"u8) ? Field.Type :
        reader.ValueTextEquals("gpu_id"u8) ? Field.GpuId :
        reader.ValueTextEquals("gpu_name"u8) ? Field.GpuName :
        reader.ValueTextEquals("num_running_jobs"u8) ? Field.NumRunningJobs :
        reader.ValueTextEquals("updated_at"u8) ? Field.UpdatedAt :
        reader.ValueTextEquals("created_at"u8) ? Field.CreatedAt :
        reader.ValueTextEquals("num_assigned_jobs"u8) ? Field.NumAssignedJobs :
        reader.ValueTextEquals("last_connection"u8) ? Field.LastConnection :
        reader.ValueTextEquals("name"u8) ? Field.Name :
        reader.ValueTextEquals("status"u8) ? Field.Status :
        reader.ValueTextEquals("ask_price"u8) ? Field.AskPrice :
        reader.ValueTextEquals("downloaded_images"u8) ? Field.DownloadedImages :
        reader.ValueTextEquals("max_num_parallel_jobs"u8) ? Field.MaxNumParallelJobs :
        reader.ValueTextEquals("version"u8) ? Field.Version :
        Field.Count;

    /// <summary>Where each field's value starts in the stored JSON (-1: absent).</summary>
    private static void Locate(ReadOnlySpan<byte> stored, Span<int> starts)
    {
        starts.Fill(-1);
        var reader = new Utf8JsonReader(stored);
        reader.Read(); // {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader);
            reader.Read();
            if (field != Field.Count) starts[(int)field] = (int)reader.TokenStartIndex;
            reader.Skip();
        }
    }

    /// <summary>The stream version the stored document reflects (its ETag).</summary>
    public static long VersionOf(ReadOnlySpan<byte> stored)
    {
        Span<int> starts = stackalloc int[(int)Field.Count];
        Locate(stored, starts);
        var version = At(stored, starts, Field.Version);
        return version.IsEmpty ? 0 : Value(version).GetInt64();
    }

    /// <summary>The response for one stored instance document, at <paramref name="now"/>.</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> stored, DateTimeOffset now)
    {
        Span<int> starts = stackalloc int[(int)Field.Count];
        Locate(stored, starts);
        writer.WriteStartObject();
        writer.WritePropertyName("uuid"u8);
        CopyString(writer, stored, starts, Field.Id);
        writer.WritePropertyName("type"u8);
        CopyNumber(writer, stored, starts, Field.Type);
        writer.WritePropertyName("gpu"u8);
        CopyString(writer, stored, starts, Field.GpuId);
        writer.WritePropertyName("gpu_name"u8);
        if (IsNull(stored, starts, Field.GpuName)) writer.WriteStringValue("n/a"u8);
        else CopyString(writer, stored, starts, Field.GpuName);
        writer.WritePropertyName("num_running_jobs"u8);
        CopyNumber(writer, stored, starts, Field.NumRunningJobs);
        writer.WritePropertyName("updated_at"u8);
        WriteTime(writer, stored, starts, Field.UpdatedAt);
        writer.WritePropertyName("created_at"u8);
        WriteTime(writer, stored, starts, Field.CreatedAt);
        writer.WritePropertyName("current_server_time"u8);
        ApiTimestamp.Write(writer, now);
        writer.WritePropertyName("num_assigned_jobs"u8);
        CopyNumber(writer, stored, starts, Field.NumAssignedJobs);
        writer.WritePropertyName("last_connection"u8);
        WriteTime(writer, stored, starts, Field.LastConnection);
        writer.WritePropertyName("name"u8);
        CopyString(writer, stored, starts, Field.Name);
        writer.WritePropertyName("status"u8);
        CopyNumber(writer, stored, starts, Field.Status);
        writer.WritePropertyName("ask_price"u8);
        CopyNumber(writer, stored, starts, Field.AskPrice);
        writer.WritePropertyName("downloaded_images"u8);
        writer.WriteStartArray();
        if (At(stored, starts, Field.DownloadedImages) is { IsEmpty: false } images && images[0] == (byte)'[')
        {
            var reader = Value(images);
            while (reader.Read() && reader.TokenType == JsonTokenType.String) WriteString(writer, ref reader);
        }
        writer.WriteEndArray();
        writer.WritePropertyName("max_num_parallel_jobs"u8);
        CopyNumber(writer, stored, starts, Field.MaxNumParallelJobs);
        writer.WriteEndObject();
    }

    private static ReadOnlySpan<byte> At(ReadOnlySpan<byte> stored, ReadOnlySpan<int> starts, Field field) =>
        starts[(int)field] < 0 ? default : stored[starts[(int)field]..];

    /// <summary>A reader on a value found by <see cref="Locate"/>, at its first token.</summary>
    private static Utf8JsonReader Value(ReadOnlySpan<byte> from)
    {
        var reader = new Utf8JsonReader(from, isFinalBlock: false, state: default);
        reader.Read();
        return reader;
    }

    private static bool IsNull(ReadOnlySpan<byte> stored, ReadOnlySpan<int> starts, Field field)
    {
        var value = At(stored, starts, field);
        return value.IsEmpty || value[0] == (byte)'n';
    }

    private static void CopyNumber(Utf8JsonWriter writer, ReadOnlySpan<byte> stored, ReadOnlySpan<int> starts, Field field)
    {
        var value = At(stored, starts, field);
        if (value.IsEmpty)
        {
            writer.WriteNumberValue(0); // absent: the document's default
            return;
        }
        var reader = Value(value);
        writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
    }

    private static void CopyString(Utf8JsonWriter writer, ReadOnlySpan<byte> stored, ReadOnlySpan<int> starts, Field field)
    {
        if (IsNull(stored, starts, field))
        {
            writer.WriteNullValue();
            return;
        }
        var reader = Value(At(stored, starts, field));
        WriteString(writer, ref reader);
    }

    private static void WriteString(Utf8JsonWriter writer, ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped) writer.WriteStringValue(reader.GetString());
        else writer.WriteStringValue(reader.ValueSpan); // UTF-8 text, escaped as the response's encoder escapes
    }

    private static void WriteTime(Utf8JsonWriter writer, ReadOnlySpan<byte> stored, ReadOnlySpan<int> starts, Field field)
    {
        if (IsNull(stored, starts, field)) writer.WriteNullValue();
        else ApiTimestamp.Write(writer, Value(At(stored, starts, field)).GetDateTimeOffset());
    }
}
