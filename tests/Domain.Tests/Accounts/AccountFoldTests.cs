using Sharedcloud.Es.Domain.Accounts;

namespace Sharedcloud.Es.Domain.Tests.Accounts;

/// <summary>The one fold of an account's events (<see cref="Account.Evolve"/>).</summary>
public class AccountFoldTests
{
    private static readonly Guid Id = Guid.Parse("0190f0aa-0000-7000-8000-0000000000a1");
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private static Account? Fold(params object[] events)
    {
        Account? state = null;
        for (var i = 0; i < events.Length; i++) state = Account.Evolve(state, events[i], T0.AddMinutes(i));
        return state;
    }

    [Fact]
    public void A_registration_makes_an_account_joined_at_its_time_never_logged_in()
    {
        Assert.Equal(new Account { Id = Id, Username = "john", Email = "j@example.com", DateJoined = T0, Version = 1 },
            Fold(new AccountRegistered(Id, "john", "j@example.com")));
    }

    [Fact]
    public void Secret_changes_show_nothing_but_count_as_versions()
    {
        var state = Fold(new AccountRegistered(Id, "john", "j@example.com"), new AccountPasswordChanged(Id), new AccountKeyRotated(Id),
            new AccountUsernameChanged(Id, "jane"), new AccountEmailChanged(Id, "jane@example.com"), new AccountLoggedIn(Id))!;

        Assert.Equal(("jane", "jane@example.com", T0.AddMinutes(5), 6L), (state.Username, state.Email, state.LastLogin, state.Version));
    }

    [Fact]
    public void A_deleted_account_has_no_state() =>
        Assert.Null(Fold(new AccountRegistered(Id, "john", "j@example.com"), new AccountDeleted(Id)));
}
