using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Accounts;

/// <summary>Every event of an account's stream.</summary>
public interface IAccountEvent
{
    Guid AccountId { get; }
}

// The account stream's events. Secrets never enter them: that a password or key changed is
// recorded, the hash and the key digest live only in the credentials document.
public sealed record AccountRegistered(Guid AccountId, string Username, string Email) : IAccountEvent;

public sealed record AccountUsernameChanged(Guid AccountId, string Username) : IAccountEvent;

public sealed record AccountEmailChanged(Guid AccountId, string Email) : IAccountEvent;

public sealed record AccountPasswordChanged(Guid AccountId) : IAccountEvent;

/// <summary>The API key was replaced; the previous one stopped working.</summary>
public sealed record AccountKeyRotated(Guid AccountId) : IAccountEvent;

public sealed record AccountLoggedIn(Guid AccountId) : IAccountEvent;

public sealed record AccountDeleted(Guid AccountId) : IAccountEvent;

// Money. Balances move only by these, so a balance is the sum of its account's history; with the platform's fees
// (on the jobs' events) every balance sums to the operators' credits.

/// <summary>An operator credited the account (the command line's <c>credit</c>).</summary>
public sealed record AccountCredited(Guid AccountId, decimal Amount) : IAccountEvent;

/// <summary>The consumer paid for a finished job.</summary>
public sealed record AccountCharged(Guid AccountId, Guid JobId, decimal Amount) : IAccountEvent;

/// <summary>The provider was paid for a job its instance ran.</summary>
public sealed record AccountPaid(Guid AccountId, Guid JobId, decimal Amount) : IAccountEvent;

/// <summary>
/// An account as its events made it: what decisions need and what its owner reads, in one document kept inline.
/// Deleted accounts have none. A unique index on <see cref="Username"/> (see the Marten configuration) is what makes
/// sign-ups with one username race-free.
/// </summary>
public sealed record Account : IEvolving<Account>
{
    /// <summary>What a client calls it, in messages about the object as a whole.</summary>
    public const string Kind = "account";

    public Guid Id { get; init; }
    public string Username { get; init; } = "";
    public string Email { get; init; } = "";
    public DateTimeOffset? LastLogin { get; init; }
    public DateTimeOffset DateJoined { get; init; }
    public decimal Balance { get; init; }
    public long Version { get; init; }

    public static Account? Evolve(Account? state, object e, DateTimeOffset at)
    {
        if (e is not IAccountEvent) return state; // another stream's
        if (state is null)
            return e is AccountRegistered r ? new Account { Id = r.AccountId, Username = r.Username, Email = r.Email, DateJoined = at, Version = 1 } : null;
        Account? next = e switch
        {
            AccountUsernameChanged x => state with { Username = x.Username },
            AccountEmailChanged x => state with { Email = x.Email },
            AccountLoggedIn => state with { LastLogin = at },
            AccountCredited x => state with { Balance = state.Balance + x.Amount },
            AccountCharged x => state with { Balance = state.Balance - x.Amount },
            AccountPaid x => state with { Balance = state.Balance + x.Amount },
            AccountDeleted => null,
            _ => state, // a password or key change shows nothing, but it is a version of the account
        };
        return next is null ? null : next with { Version = state.Version + 1 };
    }

    /// <summary>The caller's own account, for a write: 404 once deleted, then 412 for a stale If-Match.</summary>
    public static Account Existing(Account? state, ExpectedVersion? expected)
    {
        if (state is null) throw new NotFoundException();
        expected.ThrowIfNotMetBy(Kind, state.Version);
        return state;
    }
}
