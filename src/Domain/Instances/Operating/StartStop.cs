using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Instances.Operating;

/// <summary>PATCH /instances/&lt;uuid&gt;/start/: on the market (AVAILABLE). Starting a started instance changes nothing.</summary>
/// <paramref name="Expected"/> is the client's If-Match, as for every write to an instance.
public sealed record StartInstance(Guid InstanceId, Guid AccountId, ExpectedVersion? Expected = null) : ICommand<Instance?>
{
    public static IReadOnlyList<object> Decide(StartInstance command, Instance? state) =>
        Instance.Owned(state, command.AccountId, command.Expected).Status == InstanceStatus.Available
            ? []
            : [new InstanceStarted(command.InstanceId)];
}

/// <summary>PATCH /instances/&lt;uuid&gt;/stop/: off the market (NOT_AVAILABLE). Stopping a stopped instance changes nothing.</summary>
public sealed record StopInstance(Guid InstanceId, Guid AccountId, ExpectedVersion? Expected = null) : ICommand<Instance?>
{
    public static IReadOnlyList<object> Decide(StopInstance command, Instance? state) =>
        Instance.Owned(state, command.AccountId, command.Expected).Status == InstanceStatus.NotAvailable
            ? []
            : [new InstanceStopped(command.InstanceId)];
}
