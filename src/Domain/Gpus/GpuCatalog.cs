using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sharedcloud.Es.Domain.Gpus;

public sealed record Gpu(Guid Uuid, string Name, string Codename, int CudaCores, DateTimeOffset CreatedAt);

/// <summary>
/// The GPU models the marketplace offers: reference data shipped with the code (gpus.json, the
/// production catalog), so decisions and projections that name a GPU give the same answer on
/// every node and on every replay.
/// </summary>
public static class GpuCatalog
{
    private static readonly Lazy<IReadOnlyDictionary<Guid, Gpu>> ById = new(Load);

    public static IEnumerable<Gpu> All => ById.Value.Values;

    public static Gpu? Find(Guid id) => ById.Value.GetValueOrDefault(id);

    private static IReadOnlyDictionary<Guid, Gpu> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Sharedcloud.Es.Domain.Gpus.gpus.json")
            ?? throw new InvalidOperationException("The embedded GPU catalog is missing.");
        var rows = JsonSerializer.Deserialize<List<Row>>(stream) ?? [];
        return rows.ToDictionary(
            r => r.Uuid,
            r => new Gpu(r.Uuid, r.Name, r.Codename, r.CudaCores,
                DateTimeOffset.ParseExact(r.CreatedAt, "dd-MM-yyyy HH:mm:ss", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal)));
    }

    private sealed record Row(
        [property: JsonPropertyName("uuid")] Guid Uuid,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("codename")] string Codename,
        [property: JsonPropertyName("cuda_cores")] int CudaCores,
        [property: JsonPropertyName("created_at")] string CreatedAt);
}
