using JasperFx.Events;
using Marten.Events.Aggregation;
using Sharedcloud.Es.Domain.Gpus;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections.Replay;

namespace Sharedcloud.Es.Projections.Instances;

/// <summary>An instance as its owner reads it (GET /api/v1/instances/...). Deleted instances have none.</summary>
[UnversionedFields("last_connection")]
public sealed class InstanceDetails
{
    public Guid Id { get; set; }
    public Guid AccountId { get; set; }
    public InstanceType Type { get; set; }
    public Guid? GpuId { get; set; }
    public string? GpuName { get; set; }
    public int NumRunningJobs { get; set; }
    public int NumAssignedJobs { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastConnection { get; set; }
    public string Name { get; set; } = "";
    public InstanceStatus Status { get; set; }
    public decimal AskPrice { get; set; }
    public List<string> DownloadedImages { get; set; } = [];
    public int MaxNumParallelJobs { get; set; }
    /// <summary>
    /// Whether the machine is in contact (between its came-online and went-offline events). Its
    /// polls refresh <see cref="LastConnection"/> in place without an event (see the poll's SQL).
    /// </summary>
    public bool IsOnline { get; set; }
    /// <summary>
    /// The stream version this document reflects (Marten sets it; the instance's ETag). Every instance
    /// event has a method in the projection below, so it follows the stream.
    /// </summary>
    public long Version { get; set; }
}

/// <summary>Inline, so a client reads its own write. Times come from the events, never the clock.</summary>
public sealed partial class InstanceDetailsProjection : FoldingSingleStreamProjection<InstanceDetails, Guid>
{
    public static InstanceDetails Create(IEvent<InstanceRegistered> e) => Registered(e.Data, e.Timestamp);

    /// <summary>
    /// The document of a new instance, registered at <paramref name="at"/>. Also what a create answers: the
    /// document as this projection stores it, without reading it back.
    /// </summary>
    public static InstanceDetails Registered(InstanceRegistered e, DateTimeOffset at) => new()
    {
        Id = e.InstanceId,
        AccountId = e.AccountId,
        Type = e.Type,
        GpuId = e.GpuId,
        GpuName = GpuNameOf(e.GpuId),
        Name = e.Name,
        Status = InstanceStatus.NotAvailable,
        AskPrice = e.AskPrice,
        MaxNumParallelJobs = e.MaxNumParallelJobs,
        CreatedAt = at,
        UpdatedAt = at,
        Version = 1,
    };

    public void Apply(IEvent<InstanceRenamed> e, InstanceDetails view)
    {
        view.Name = e.Data.Name;
        view.UpdatedAt = e.Timestamp;
    }

    public void Apply(IEvent<InstancePriceChanged> e, InstanceDetails view)
    {
        view.AskPrice = e.Data.AskPrice;
        view.UpdatedAt = e.Timestamp;
    }

    public void Apply(IEvent<InstanceTypeChanged> e, InstanceDetails view)
    {
        view.Type = e.Data.Type;
        view.GpuId = e.Data.GpuId;
        view.GpuName = GpuNameOf(e.Data.GpuId);
        view.UpdatedAt = e.Timestamp;
    }

    public void Apply(IEvent<InstanceGpuChanged> e, InstanceDetails view)
    {
        view.GpuId = e.Data.GpuId;
        view.GpuName = GpuNameOf(e.Data.GpuId);
        view.UpdatedAt = e.Timestamp;
    }

    public void Apply(IEvent<InstanceParallelismChanged> e, InstanceDetails view)
    {
        view.MaxNumParallelJobs = e.Data.MaxNumParallelJobs;
        view.UpdatedAt = e.Timestamp;
    }

    public void Apply(IEvent<InstanceStarted> e, InstanceDetails view)
    {
        view.Status = InstanceStatus.Available;
        view.UpdatedAt = e.Timestamp;
    }

    public void Apply(IEvent<InstanceStopped> e, InstanceDetails view)
    {
        view.Status = InstanceStatus.NotAvailable;
        view.UpdatedAt = e.Timestamp;
    }

    // Presence is not an edit of the instance: updated_at stays.
    public void Apply(InstanceCameOnline e, InstanceDetails view)
    {
        view.IsOnline = true;
        view.LastConnection = e.At;
    }

    public void Apply(InstanceWentOffline e, InstanceDetails view)
    {
        view.IsOnline = false;
        view.LastConnection = e.LastContact;
    }

    public void Apply(IEvent<InstanceImageAdded> e, InstanceDetails view)
    {
        view.DownloadedImages.Add(e.Data.RegistryPath);
        view.UpdatedAt = e.Timestamp;
    }

    public void Apply(IEvent<InstanceImageRemoved> e, InstanceDetails view)
    {
        view.DownloadedImages.Remove(e.Data.RegistryPath);
        view.UpdatedAt = e.Timestamp;
    }

    public bool ShouldDelete(InstanceDeleted e) => true;

    private static string? GpuNameOf(Guid? gpuId) => gpuId is { } id ? GpuCatalog.Find(id)?.Name : null;
}
