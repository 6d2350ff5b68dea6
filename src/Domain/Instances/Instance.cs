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

/// <summary>What decisions about an instance need to know, folded from its events.</summary>
public sealed record Instance(
    Guid Id, Guid AccountId, string Name, InstanceType Type, Guid? GpuId, decimal AskPrice, int MaxNumParallelJobs,
    bool IsDeleted = false)
{
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

    /// <summary>Does this instance exist for <paramref name="accountId"/>? Others' instances never do.</summary>
    public bool IsVisibleTo(Guid accountId) => !IsDeleted && AccountId == accountId;
}
