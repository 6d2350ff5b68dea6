namespace Sharedcloud.Es.Domain.Accounts;

// The account stream's events. Secrets never enter them: that a password or key changed is
// recorded, the hash and the key digest live only in the credentials document.
public sealed record AccountRegistered(Guid AccountId, string Username, string Email);

public sealed record AccountUsernameChanged(Guid AccountId, string Username);

public sealed record AccountEmailChanged(Guid AccountId, string Email);

public sealed record AccountPasswordChanged(Guid AccountId);

/// <summary>The API key was replaced; the previous one stopped working.</summary>
public sealed record AccountKeyRotated(Guid AccountId);

public sealed record AccountLoggedIn(Guid AccountId);

public sealed record AccountDeleted(Guid AccountId);

public sealed record Account(Guid Id, string Username, string Email, bool IsDeleted = false)
{
    /// <summary>What a client calls it, in messages about the object as a whole.</summary>
    public const string Kind = "account";

    public static Account Create(AccountRegistered e) => new(e.AccountId, e.Username, e.Email);
    public Account Apply(AccountUsernameChanged e) => this with { Username = e.Username };
    public Account Apply(AccountEmailChanged e) => this with { Email = e.Email };
    public Account Apply(AccountDeleted e) => this with { IsDeleted = true };
}
