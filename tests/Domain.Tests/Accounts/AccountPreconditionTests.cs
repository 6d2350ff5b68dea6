using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Accounts.Changing;
using Sharedcloud.Es.Domain.Accounts.Deleting;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Domain.Tests.Accounts;

/// <summary>If-Match on the account: a change or deletion applies only to the version the client expects.</summary>
public class AccountPreconditionTests
{
    private static readonly Guid AccountId = Guid.Parse("0190f0aa-0000-7000-8000-0000000000a1");
    private static readonly Account State =
        new() { Id = AccountId, Username = "john", Email = "john@example.com", Version = 4 };

    private static ChangeAccount NewEmail(ExpectedVersion? expected) =>
        new(AccountId, Field<string>.Missing, Field<string>.Of("new@example.com"), Field<string>.Missing, expected);

    [Fact]
    public void A_change_at_the_expected_version_is_decided() =>
        Assert.Equal([new AccountEmailChanged(AccountId, "new@example.com"), new AccountKeyRotated(AccountId)],
            ChangeAccount.Decide(NewEmail(ExpectedVersion.OneOf(4)), State, passwordIsCurrent: false));

    [Fact]
    public void A_change_at_a_stale_version_fails_its_precondition()
    {
        var e = Assert.Throws<PreconditionFailedException>(() =>
            ChangeAccount.Decide(NewEmail(ExpectedVersion.OneOf(3)), State, passwordIsCurrent: false));

        Assert.Equal("Precondition failed: the account was modified (current version 4).", e.Message);
    }

    [Fact]
    public void A_stale_change_with_a_weak_password_fails_its_precondition_before_the_password_rules() =>
        Assert.Throws<PreconditionFailedException>(() => ChangeAccount.Decide(
            new ChangeAccount(AccountId, Field<string>.Missing, Field<string>.Missing, Field<string>.Of("123"), ExpectedVersion.OneOf(3)),
            State, passwordIsCurrent: false));

    [Fact]
    public void A_deletion_at_the_expected_version_deletes_the_account_and_its_instances()
    {
        var instance = Guid.Parse("0190f0aa-0000-7000-8000-0000000000b1");

        var (account, instances) = DeleteAccount.Decide(new DeleteAccount(AccountId, ExpectedVersion.Any), State, [instance]);

        Assert.Equal(new AccountDeleted(AccountId), account);
        Assert.Equal([new InstanceDeleted(instance)], instances);
    }

    [Fact]
    public void A_deletion_at_a_stale_version_fails_its_precondition() =>
        Assert.Throws<PreconditionFailedException>(() =>
            DeleteAccount.Decide(new DeleteAccount(AccountId, ExpectedVersion.OneOf(3)), State, []));
}
