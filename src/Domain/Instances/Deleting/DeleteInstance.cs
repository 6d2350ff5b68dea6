using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Instances.Deleting;

/// <summary>
/// The stream stays for the audit trail; the instance leaves every read model. <paramref name="Expected"/>
/// is the client's If-Match.
/// </summary>
public sealed record DeleteInstance(Guid InstanceId, Guid AccountId, ExpectedVersion? Expected = null) : ICommand
{
    /// <param name="version">The stream version <paramref name="state"/> was folded from.</param>
    public static InstanceDeleted Decide(DeleteInstance command, Instance? state, long version)
    {
        if (state is null || !state.IsVisibleTo(command.AccountId)) throw new NotFoundException();
        command.Expected.ThrowIfNotMetBy(Instance.Kind, version);
        return new InstanceDeleted(state.Id);
    }
}
