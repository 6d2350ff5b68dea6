using Mediator;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Domain.Accounts.Deleting;

/// <summary>
/// Deletes the account and, with it, every instance it owns (one transaction). <paramref name="Expected"/>
/// is the client's If-Match.
/// </summary>
public sealed record DeleteAccount(Guid AccountId, ExpectedVersion? Expected = null) : ICommand
{
    public static (AccountDeleted Account, IReadOnlyList<InstanceDeleted> Instances) Decide(
        DeleteAccount command, Account? current, IEnumerable<Guid> liveInstanceIds)
    {
        var state = Account.Existing(current, command.Expected);
        return (new AccountDeleted(state.Id), liveInstanceIds.Select(id => new InstanceDeleted(id)).ToList());
    }
}
