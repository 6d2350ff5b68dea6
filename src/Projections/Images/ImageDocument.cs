namespace Sharedcloud.Es.Projections.Images;

/// <summary>The image catalog as stored (seeded at start-up from the shipped catalog).</summary>
public sealed class ImageDocument
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string RegistryPath { get; set; } = "";
    public string Description { get; set; } = "";
    public bool RequiresGpu { get; set; }
    public string Runtime { get; set; } = "";
    public string Tag { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}
