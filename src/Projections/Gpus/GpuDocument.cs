namespace Sharedcloud.Es.Projections.Gpus;

/// <summary>The GPU catalog as stored (seeded at start-up from the shipped catalog).</summary>
public sealed class GpuDocument
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string Codename { get; set; } = "";
    public int CudaCores { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
