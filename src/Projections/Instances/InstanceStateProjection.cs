using Marten.Events.Aggregation;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Projections.Instances;

/// <summary>
/// Folds an instance stream into the domain's <see cref="Instance"/> for command handlers (live,
/// never stored). Marten 9 generates aggregation code only in assemblies that reference it, so
/// this class hands each event to the domain record's own Create/Apply.
/// </summary>
public sealed partial class InstanceStateProjection : SingleStreamProjection<Instance, Guid>
{
    public static Instance Create(InstanceRegistered e) => Instance.Create(e);
    public Instance Apply(InstanceRenamed e, Instance s) => s.Apply(e);
    public Instance Apply(InstancePriceChanged e, Instance s) => s.Apply(e);
    public Instance Apply(InstanceTypeChanged e, Instance s) => s.Apply(e);
    public Instance Apply(InstanceGpuChanged e, Instance s) => s.Apply(e);
    public Instance Apply(InstanceParallelismChanged e, Instance s) => s.Apply(e);
    public Instance Apply(InstanceDeleted e, Instance s) => s.Apply(e);
    public Instance Apply(InstanceStarted e, Instance s) => s.Apply(e);
    public Instance Apply(InstanceStopped e, Instance s) => s.Apply(e);
    public Instance Apply(InstanceCameOnline e, Instance s) => s.Apply(e);
    public Instance Apply(InstanceWentOffline e, Instance s) => s.Apply(e);
    public Instance Apply(InstanceImageAdded e, Instance s) => s.Apply(e);
    public Instance Apply(InstanceImageRemoved e, Instance s) => s.Apply(e);
}
