using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Instances.Deleting;

/// <summary>
/// The stream stays for the audit trail; the instance leaves every read model. <paramref name="Expected"/>
/// is the client's If-Match.
/// </summary>
public sealed record DeleteInstance(Guid InstanceId, Guid AccountId, ExpectedVersion? Expected = null) : ICommand
{
    public static IReadOnlyList<object> Decide(DeleteInstance command, Instance? state) =>
        [new InstanceDeleted(Instance.Owned(state, command.AccountId, command.Expected).Id)];
}
