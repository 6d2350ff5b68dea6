namespace Sharedcloud.Es.Domain.Instances;

public enum InstanceType { Cpu = 1, Gpu = 2 }

public enum InstanceStatus { NotAvailable = 1, Available = 2 }

// The instance stream's events. Stored names are mapped once, in the Marten configuration
// (InstanceEventNames), so these classes can be renamed without touching history.
public sealed record InstanceRegistered(
    Guid InstanceId, Guid AccountId, string Name, InstanceType Type, Guid? GpuId, decimal AskPrice, int MaxNumParallelJobs);

public sealed record InstanceRenamed(Guid InstanceId, string Name);

public sealed record InstancePriceChanged(Guid InstanceId, decimal AskPrice);

/// <summary>CPU and GPU switch together with the GPU: a CPU instance has none.</summary>
public sealed record InstanceTypeChanged(Guid InstanceId, InstanceType Type, Guid? GpuId);

/// <summary>A GPU instance moved to another GPU model.</summary>
public sealed record InstanceGpuChanged(Guid InstanceId, Guid GpuId);

public sealed record InstanceParallelismChanged(Guid InstanceId, int MaxNumParallelJobs);

public sealed record InstanceDeleted(Guid InstanceId);

/// <summary>The owner (or the owner's machine) put the instance on the market: AVAILABLE.</summary>
public sealed record InstanceStarted(Guid InstanceId);

/// <summary>Taken off the market: NOT_AVAILABLE. By the owner, or by the service after a long silence.</summary>
public sealed record InstanceStopped(Guid InstanceId);

/// <summary>The machine made contact after a silence (or for the first time).</summary>
public sealed record InstanceCameOnline(Guid InstanceId, DateTimeOffset At);

/// <summary>The machine fell silent: its last contact was <paramref name="LastContact"/>.</summary>
public sealed record InstanceWentOffline(Guid InstanceId, DateTimeOffset LastContact);

public sealed record InstanceImageAdded(Guid InstanceId, Guid ImageId, string RegistryPath);

public sealed record InstanceImageRemoved(Guid InstanceId, Guid ImageId, string RegistryPath);

/// <summary>What decisions about an instance need to know, folded from its events.</summary>
public sealed record Instance(
    Guid Id, Guid AccountId, string Name, InstanceType Type, Guid? GpuId, decimal AskPrice, int MaxNumParallelJobs,
    bool IsDeleted = false, InstanceStatus Status = InstanceStatus.NotAvailable, bool IsOnline = false,
    DateTimeOffset? LastContact = null)
{
    /// <summary>Registry paths of the images installed on the machine, in the order they were added.</summary>
    public IReadOnlyList<string> Images { get; init; } = [];
    /// <summary>What a client calls it, in messages about the object as a whole.</summary>
    public const string Kind = "instance";

    public static Instance Create(InstanceRegistered e) =>
        new(e.InstanceId, e.AccountId, e.Name, e.Type, e.GpuId, e.AskPrice, e.MaxNumParallelJobs);

    public Instance Apply(InstanceRenamed e) => this with { Name = e.Name };
    public Instance Apply(InstancePriceChanged e) => this with { AskPrice = e.AskPrice };
    public Instance Apply(InstanceTypeChanged e) => this with { Type = e.Type, GpuId = e.GpuId };
    public Instance Apply(InstanceGpuChanged e) => this with { GpuId = e.GpuId };
    public Instance Apply(InstanceParallelismChanged e) => this with { MaxNumParallelJobs = e.MaxNumParallelJobs };
    public Instance Apply(InstanceDeleted e) => this with { IsDeleted = true };
    public Instance Apply(InstanceStarted e) => this with { Status = InstanceStatus.Available };
    public Instance Apply(InstanceStopped e) => this with { Status = InstanceStatus.NotAvailable };
    public Instance Apply(InstanceCameOnline e) => this with { IsOnline = true, LastContact = e.At };
    public Instance Apply(InstanceWentOffline e) => this with { IsOnline = false, LastContact = e.LastContact };
    public Instance Apply(InstanceImageAdded e) => this with { Images = [.. Images, e.RegistryPath] };
    public Instance Apply(InstanceImageRemoved e) => this with { Images = Images.Where(p => p != e.RegistryPath).ToList() };

    /// <summary>Does this instance exist for <paramref name="accountId"/>? Others' instances never do.</summary>
    public bool IsVisibleTo(Guid accountId) => !IsDeleted && AccountId == accountId;
}
