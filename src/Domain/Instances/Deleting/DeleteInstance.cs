using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Instances.Deleting;

/// <summary>The stream stays for the audit trail; the instance leaves every read model.</summary>
public sealed record DeleteInstance(Guid InstanceId, Guid AccountId) : ICommand
{
    public static InstanceDeleted Decide(DeleteInstance command, Instance? state) =>
        state is not null && state.IsVisibleTo(command.AccountId)
            ? new InstanceDeleted(state.Id)
            : throw new NotFoundException();
}
