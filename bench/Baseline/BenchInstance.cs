using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sharedcloud.Es.Bench.Baseline;

/// <summary>The API's instance object: the same 15 fields, names and value formats.</summary>
public sealed record BenchInstance(
    Guid Uuid,
    int Type,
    Guid? Gpu,
    string GpuName,
    int NumRunningJobs,
    string UpdatedAt,
    string CreatedAt,
    string CurrentServerTime,
    int NumAssignedJobs,
    string? LastConnection,
    string Name,
    int Status,
    decimal AskPrice,
    string[] DownloadedImages,
    int MaxNumParallelJobs)
{
    public const string TimestampFormat = "dd-MM-yyyy HH:mm:ss";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchInstance))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(string))]
public sealed partial class BaselineJson : JsonSerializerContext
{
    /// <summary>Snake case, compact, quotes and non-ASCII text unescaped: as the API writes.</summary>
    public static BaselineJson Api { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
