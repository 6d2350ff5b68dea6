using JasperFx.Events;
using Marten.Events.Aggregation;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Projections.Replay;

namespace Sharedcloud.Es.Projections.Accounts;

/// <summary>
/// The account as its owner reads it. A unique index on <see cref="Username"/> (see
/// <see cref="MartenConfiguration"/>) is what makes sign-ups with one username race-free.
/// </summary>
public sealed class AccountDetails
{
    public Guid Id { get; set; }
    public string Username { get; set; } = "";
    public string Email { get; set; } = "";
    public DateTimeOffset? LastLogin { get; set; }
    public DateTimeOffset DateJoined { get; set; }
    public decimal Balance { get; set; }
    /// <summary>
    /// The stream version this document reflects (Marten sets it; the account's ETag). It follows the
    /// stream only if the projection takes every account event, so events that change nothing shown
    /// here still have an Apply below.
    /// </summary>
    public long Version { get; set; }
}

public sealed partial class AccountDetailsProjection : FoldingSingleStreamProjection<AccountDetails, Guid>
{
    public static AccountDetails Create(IEvent<AccountRegistered> e) => new()
    {
        Id = e.Data.AccountId,
        Username = e.Data.Username,
        Email = e.Data.Email,
        DateJoined = e.Timestamp,
    };

    public void Apply(AccountUsernameChanged e, AccountDetails view) => view.Username = e.Username;
    public void Apply(AccountEmailChanged e, AccountDetails view) => view.Email = e.Email;
    public void Apply(IEvent<AccountLoggedIn> e, AccountDetails view) => view.LastLogin = e.Timestamp;

    // Nothing of these is shown, but they move the stream's version, and so the document's.
    public void Apply(AccountPasswordChanged e, AccountDetails view) { }
    public void Apply(AccountKeyRotated e, AccountDetails view) { }

    public bool ShouldDelete(AccountDeleted e) => true;
}

/// <summary>Folds an account stream into the domain's <see cref="Account"/> for command handlers.</summary>
public sealed partial class AccountStateProjection : SingleStreamProjection<Account, Guid>
{
    public static Account Create(AccountRegistered e) => Account.Create(e);
    public Account Apply(AccountUsernameChanged e, Account s) => s.Apply(e);
    public Account Apply(AccountEmailChanged e, Account s) => s.Apply(e);
    public Account Apply(AccountDeleted e, Account s) => s.Apply(e);
}
