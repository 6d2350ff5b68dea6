using Mediator;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Domain.Accounts.Deleting;

/// <summary>Deletes the account and, with it, every instance it owns (one transaction).</summary>
public sealed record DeleteAccount(Guid AccountId) : ICommand
{
    public static (AccountDeleted Account, IReadOnlyList<InstanceDeleted> Instances) Decide(
        Account state, IEnumerable<Guid> liveInstanceIds) =>
        (new AccountDeleted(state.Id), liveInstanceIds.Select(id => new InstanceDeleted(id)).ToList());
}
