using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Gpus;

namespace Sharedcloud.Es.Domain.Instances;

public enum InstanceType { Cpu = 1, Gpu = 2 }

public enum InstanceStatus { NotAvailable = 1, Available = 2 }

/// <summary>Every event of an instance's stream.</summary>
public interface IInstanceEvent
{
    Guid InstanceId { get; }
}

// The instance stream's events. Stored names are mapped once, in the Marten configuration
// (MartenConfiguration.EventNames), so these classes can be renamed without touching history.
public sealed record InstanceRegistered(
    Guid InstanceId, Guid AccountId, string Name, InstanceType Type, Guid? GpuId, decimal AskPrice, int MaxNumParallelJobs)
    : IInstanceEvent;

public sealed record InstanceRenamed(Guid InstanceId, string Name) : IInstanceEvent;

public sealed record InstancePriceChanged(Guid InstanceId, decimal AskPrice) : IInstanceEvent;

/// <summary>CPU and GPU switch together with the GPU: a CPU instance has none.</summary>
public sealed record InstanceTypeChanged(Guid InstanceId, InstanceType Type, Guid? GpuId) : IInstanceEvent;

/// <summary>A GPU instance moved to another GPU model.</summary>
public sealed record InstanceGpuChanged(Guid InstanceId, Guid GpuId) : IInstanceEvent;

public sealed record InstanceParallelismChanged(Guid InstanceId, int MaxNumParallelJobs) : IInstanceEvent;

public sealed record InstanceDeleted(Guid InstanceId) : IInstanceEvent;

/// <summary>The owner (or the owner's machine) put the instance on the market: AVAILABLE.</summary>
public sealed record InstanceStarted(Guid InstanceId) : IInstanceEvent;

/// <summary>Taken off the market: NOT_AVAILABLE. By the owner, or by the service after a long silence.</summary>
public sealed record InstanceStopped(Guid InstanceId) : IInstanceEvent;

/// <summary>The machine made contact after a silence (or for the first time).</summary>
public sealed record InstanceCameOnline(Guid InstanceId, DateTimeOffset At) : IInstanceEvent;

/// <summary>The machine fell silent: its last contact was <paramref name="LastContact"/>.</summary>
public sealed record InstanceWentOffline(Guid InstanceId, DateTimeOffset LastContact) : IInstanceEvent;

public sealed record InstanceImageAdded(Guid InstanceId, Guid ImageId, string RegistryPath) : IInstanceEvent;

public sealed record InstanceImageRemoved(Guid InstanceId, Guid ImageId, string RegistryPath) : IInstanceEvent;

/// <summary>
/// An instance as its events made it: what decisions about it need and what its owner reads, in one document
/// (the store keeps it inline, in the transaction of every write). Deleted instances have none. Times come from
/// the events, never the clock, so a replay gives the same document.
/// </summary>
public sealed record Instance : IEvolving<Instance>
{
    /// <summary>What a client calls it, in messages about the object as a whole.</summary>
    public const string Kind = "instance";

    public Guid Id { get; init; }
    public Guid AccountId { get; init; }
    public string Name { get; init; } = "";
    public InstanceType Type { get; init; }
    public Guid? GpuId { get; init; }
    public string? GpuName { get; init; }
    public decimal AskPrice { get; init; }
    public int MaxNumParallelJobs { get; init; }
    public InstanceStatus Status { get; init; } = InstanceStatus.NotAvailable;
    /// <summary>Whether the machine is in contact (between its came-online and went-offline events).</summary>
    public bool IsOnline { get; init; }
    /// <summary>
    /// The machine's last contact. Its polls refresh it in place, in the stored document, without an event (see
    /// the poll's SQL), so here it is exact only as of the last presence event, and in the stored document.
    /// </summary>
    public DateTimeOffset? LastConnection { get; init; }
    /// <summary>Registry paths of the images installed on the machine, in the order they were added.</summary>
    public IReadOnlyList<string> DownloadedImages { get; init; } = [];
    /// <summary>
    /// The jobs it holds, IN_PROGRESS and assigned-but-unstarted. They are the jobs' events counted: the writes of those
    /// events move them in place, in the stored document, under a share lock on the instance's stream (as polls move
    /// <see cref="LastConnection"/>); the instance's own events only reset them when it lets go of its jobs.
    /// </summary>
    public int NumRunningJobs { get; init; }
    public int NumAssignedJobs { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public long Version { get; init; }

    public static Instance? Evolve(Instance? state, object e, DateTimeOffset at)
    {
        if (e is not IInstanceEvent) return state; // another stream's
        if (state is null) return e is InstanceRegistered registered ? Registered(registered, at) : null;
        Instance? next = e switch
        {
            InstanceRenamed x => state with { Name = x.Name, UpdatedAt = at },
            InstancePriceChanged x => state with { AskPrice = x.AskPrice, UpdatedAt = at },
            InstanceTypeChanged x => state with { Type = x.Type, GpuId = x.GpuId, GpuName = GpuNameOf(x.GpuId), UpdatedAt = at },
            InstanceGpuChanged x => state with { GpuId = x.GpuId, GpuName = GpuNameOf(x.GpuId), UpdatedAt = at },
            InstanceParallelismChanged x => state with { MaxNumParallelJobs = x.MaxNumParallelJobs, UpdatedAt = at },
            InstanceStarted => state with { Status = InstanceStatus.Available, UpdatedAt = at },
            // A stopped or silent instance lets go of its jobs (each released on its own stream, in the same transaction).
            InstanceStopped => state with { Status = InstanceStatus.NotAvailable, UpdatedAt = at, NumAssignedJobs = 0, NumRunningJobs = 0 },
            // Presence is not an edit of the instance: updated_at stays.
            InstanceCameOnline x => state with { IsOnline = true, LastConnection = x.At },
            InstanceWentOffline x => state with { IsOnline = false, LastConnection = x.LastContact, NumAssignedJobs = 0, NumRunningJobs = 0 },
            InstanceImageAdded x => state with { DownloadedImages = [.. state.DownloadedImages, x.RegistryPath], UpdatedAt = at },
            InstanceImageRemoved x => state with
            {
                DownloadedImages = state.DownloadedImages.Where(p => p != x.RegistryPath).ToList(), UpdatedAt = at,
            },
            InstanceDeleted => null,
            _ => state,
        };
        return next is null ? null : next with { Version = state.Version + 1 };
    }

    private static Instance Registered(InstanceRegistered e, DateTimeOffset at) => new()
    {
        Id = e.InstanceId,
        AccountId = e.AccountId,
        Name = e.Name,
        Type = e.Type,
        GpuId = e.GpuId,
        GpuName = GpuNameOf(e.GpuId),
        AskPrice = e.AskPrice,
        MaxNumParallelJobs = e.MaxNumParallelJobs,
        CreatedAt = at,
        UpdatedAt = at,
        Version = 1,
    };

    private static string? GpuNameOf(Guid? gpuId) => gpuId is { } id ? GpuCatalog.Find(id)?.Name : null;

    /// <summary>Does this instance exist for <paramref name="accountId"/>? Others' instances never do.</summary>
    public bool IsVisibleTo(Guid accountId) => AccountId == accountId;

    /// <summary>
    /// The instance a write of <paramref name="accountId"/> addresses, in RFC 9110's order: one the caller cannot
    /// see is 404 whatever the condition, then a stale If-Match (<paramref name="expected"/>) is 412, before the
    /// request's content is judged.
    /// </summary>
    public static Instance Owned(Instance? state, Guid accountId, ExpectedVersion? expected)
    {
        if (state is null || !state.IsVisibleTo(accountId)) throw new NotFoundException();
        expected.ThrowIfNotMetBy(Kind, state.Version);
        return state;
    }
}
