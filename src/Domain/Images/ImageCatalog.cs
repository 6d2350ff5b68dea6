using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sharedcloud.Es.Domain.Images;

public sealed record Image(
    Guid Uuid, string Name, string RegistryPath, string Description, bool RequiresGpu, string Runtime, string Tag,
    DateTimeOffset CreatedAt);

/// <summary>
/// The images a provider's machine can install: reference data shipped with the code (images.json,
/// the production catalog), so decisions about an image give the same answer on every node and
/// on every replay.
/// </summary>
public static class ImageCatalog
{
    private static readonly Lazy<IReadOnlyList<Image>> Images = new(Load);

    /// <summary>Oldest first, as production listed them.</summary>
    public static IReadOnlyList<Image> All => Images.Value;

    public static Image? Find(Guid id) => Images.Value.FirstOrDefault(i => i.Uuid == id);

    public static Image? FindByRegistryPath(string path) => Images.Value.FirstOrDefault(i => i.RegistryPath == path);

    private static IReadOnlyList<Image> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Sharedcloud.Es.Domain.Images.images.json")
            ?? throw new InvalidOperationException("The embedded image catalog is missing.");
        var rows = JsonSerializer.Deserialize<List<Row>>(stream) ?? [];
        return rows
            .Select(r => new Image(r.Uuid, r.Name, r.RegistryPath, r.Description, r.RequiresGpu, r.Runtime, r.Tag,
                DateTimeOffset.ParseExact(r.CreatedAt, "dd-MM-yyyy HH:mm:ss", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal)))
            .OrderBy(i => i.CreatedAt)
            .ToList();
    }

    private sealed record Row(
        [property: JsonPropertyName("uuid")] Guid Uuid,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("registry_path")] string RegistryPath,
        [property: JsonPropertyName("description")] string Description,
        [property: JsonPropertyName("requires_gpu")] bool RequiresGpu,
        [property: JsonPropertyName("runtime")] string Runtime,
        [property: JsonPropertyName("tag")] string Tag,
        [property: JsonPropertyName("created_at")] string CreatedAt);
}
