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
    /// <param name="version">The stream version <paramref name="state"/> was folded from.</param>
    public static (AccountDeleted Account, IReadOnlyList<InstanceDeleted> Instances) Decide(
        DeleteAccount command, Account state, long version, IEnumerable<Guid> liveInstanceIds)
    {
        command.Expected.ThrowIfNotMetBy(Account.Kind, version);
        return (new AccountDeleted(state.Id), liveInstanceIds.Select(id => new InstanceDeleted(id)).ToList());
    }
}
