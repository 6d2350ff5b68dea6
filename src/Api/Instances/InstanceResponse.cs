using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Api.Instances;

/// <summary>The instance object, fields in production's order.</summary>
public sealed record InstanceResponse(
    Guid Uuid,
    InstanceType Type,
    Guid? Gpu,
    string GpuName,
    int NumRunningJobs,
    DateTimeOffset UpdatedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset CurrentServerTime,
    int NumAssignedJobs,
    DateTimeOffset? LastConnection,
    string Name,
    InstanceStatus Status,
    decimal AskPrice,
    IReadOnlyList<string> DownloadedImages,
    int MaxNumParallelJobs)
{
    public static InstanceResponse From(Instance d, DateTimeOffset now) => new(
        d.Id, d.Type, d.GpuId, d.GpuName ?? "n/a", d.NumRunningJobs, d.UpdatedAt, d.CreatedAt, now,
        d.NumAssignedJobs, d.LastConnection, d.Name, d.Status, d.AskPrice, d.DownloadedImages, d.MaxNumParallelJobs);
}
