using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sharedcloud.Es.Api.Accounts;
using Sharedcloud.Es.Api.Gpus;
using Sharedcloud.Es.Api.Instances;
using Sharedcloud.Es.Api.Marketplace;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// The API's JSON: snake_case, compact, timestamps as production wrote them. Source-generated, so
/// responses are written without reflection.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    Converters = [typeof(ApiTimestampConverter), typeof(NullableApiTimestampConverter)])]
[JsonSerializable(typeof(InstanceResponse))]
[JsonSerializable(typeof(List<InstanceResponse>))]
[JsonSerializable(typeof(AccountResponse))]
[JsonSerializable(typeof(List<AccountResponse>))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(GpuResponse))]
[JsonSerializable(typeof(List<GpuResponse>))]
[JsonSerializable(typeof(ImageResponse))]
[JsonSerializable(typeof(List<ImageResponse>))]
[JsonSerializable(typeof(List<OfferResponse>))]
[JsonSerializable(typeof(Functions.FunctionResponse))]
[JsonSerializable(typeof(List<Functions.FunctionResponse>))]
[JsonSerializable(typeof(Runs.RunResponse))]
[JsonSerializable(typeof(List<Runs.RunResponse>))]
[JsonSerializable(typeof(Jobs.JobResponse))]
[JsonSerializable(typeof(List<Jobs.JobResponse>))]
[JsonSerializable(typeof(List<Instances.Machine.MachineJob>))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
public sealed partial class ApiJson : JsonSerializerContext
{
    /// <summary>
    /// The context every response uses: as <see cref="JsonSerializerContext.Default"/>, but
    /// without escaping quotes and non-ASCII text (the bodies are UTF-8 JSON, not HTML).
    /// </summary>
    public static ApiJson Api { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new ApiTimestampConverter(), new NullableApiTimestampConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>For responses written without a type's metadata: as <see cref="Api"/> writes.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = Api.Options.Encoder };
}

public sealed record ErrorResponse(string Detail);

/// <summary>UTC, <c>dd-MM-yyyy HH:mm:ss</c>, as production and its client use.</summary>
public static class ApiTimestamp
{
    public const string Format = "dd-MM-yyyy HH:mm:ss";

    public static string ToText(DateTimeOffset value) =>
        value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>
    /// The timestamp as a JSON string. Three per instance, sixty per list of twenty: formatted straight into
    /// UTF-8, without a string each.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, DateTimeOffset value)
    {
        Span<byte> text = stackalloc byte[Format.Length];
        writer.WriteStringValue(text[..FormatUtf8(value, text)]);
    }

    /// <summary>The timestamp's UTF-8 text in <paramref name="text"/> (<see cref="Format"/>'s length); its length.</summary>
    public static int FormatUtf8(DateTimeOffset value, Span<byte> text) =>
        value.UtcDateTime.TryFormat(text, out var written, Format, CultureInfo.InvariantCulture)
            ? written
            : throw new InvalidOperationException("A timestamp did not fit its 19 bytes."); // yyyy: DateTime ends in 9999

    public static bool TryParse(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text, Format, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
}

public sealed class ApiTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ApiTimestamp.TryParse(reader.GetString() ?? "", out var value) ? value : throw new JsonException("Bad timestamp.");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        ApiTimestamp.Write(writer, value);
}

public sealed class NullableApiTimestampConverter : JsonConverter<DateTimeOffset?>
{
    private static readonly ApiTimestampConverter Inner = new();

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : Inner.Read(ref reader, typeof(DateTimeOffset), options);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } v) Inner.Write(writer, v, options);
        else writer.WriteNullValue();
    }
}
