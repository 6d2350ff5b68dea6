using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Instances.Operating;

/// <summary>PATCH /instances/&lt;uuid&gt;/start/: on the market (AVAILABLE). Starting a started instance changes nothing.</summary>
/// <paramref name="Expected"/> is the client's If-Match, as for every write to an instance.
public sealed record StartInstance(Guid InstanceId, Guid AccountId, ExpectedVersion? Expected = null) : ICommand<Guid>
{
    /// <param name="version">The stream version <paramref name="state"/> was folded from.</param>
    public static IReadOnlyList<object> Decide(StartInstance command, Instance? state, long version) =>
        Owned(state, command.AccountId, command.Expected, version).Status == InstanceStatus.Available
            ? []
            : [new InstanceStarted(command.InstanceId)];

    /// <summary>404 for an instance the caller cannot see, then 412 for a stale If-Match (RFC 9110's order).</summary>
    internal static Instance Owned(Instance? state, Guid accountId, ExpectedVersion? expected, long version)
    {
        if (state is null || !state.IsVisibleTo(accountId)) throw new NotFoundException();
        expected.ThrowIfNotMetBy(Instance.Kind, version);
        return state;
    }
}

/// <summary>PATCH /instances/&lt;uuid&gt;/stop/: off the market (NOT_AVAILABLE). Stopping a stopped instance changes nothing.</summary>
public sealed record StopInstance(Guid InstanceId, Guid AccountId, ExpectedVersion? Expected = null) : ICommand<Guid>
{
    public static IReadOnlyList<object> Decide(StopInstance command, Instance? state, long version) =>
        StartInstance.Owned(state, command.AccountId, command.Expected, version).Status == InstanceStatus.NotAvailable
            ? []
            : [new InstanceStopped(command.InstanceId)];
}
