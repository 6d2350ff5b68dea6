using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Instances.Operating;

/// <summary>PATCH /instances/&lt;uuid&gt;/start/: on the market (AVAILABLE). Starting a started instance changes nothing.</summary>
public sealed record StartInstance(Guid InstanceId, Guid AccountId) : ICommand<Guid>
{
    public static IReadOnlyList<object> Decide(StartInstance command, Instance? state) =>
        Owned(state, command.AccountId).Status == InstanceStatus.Available ? [] : [new InstanceStarted(command.InstanceId)];

    internal static Instance Owned(Instance? state, Guid accountId) =>
        state is not null && state.IsVisibleTo(accountId) ? state : throw new NotFoundException();
}

/// <summary>PATCH /instances/&lt;uuid&gt;/stop/: off the market (NOT_AVAILABLE). Stopping a stopped instance changes nothing.</summary>
public sealed record StopInstance(Guid InstanceId, Guid AccountId) : ICommand<Guid>
{
    public static IReadOnlyList<object> Decide(StopInstance command, Instance? state) =>
        StartInstance.Owned(state, command.AccountId).Status == InstanceStatus.NotAvailable
            ? []
            : [new InstanceStopped(command.InstanceId)];
}
