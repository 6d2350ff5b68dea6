using FluentValidation;
using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Accounts.Changing;

/// <summary>
/// PATCH /users/account/: any of username, email and password. <paramref name="Expected"/> is the
/// client's If-Match: the change applies only to that version of the account.
/// </summary>
public sealed record ChangeAccount(Guid AccountId, Field<string> Username, Field<string> Email, Field<string> Password,
    ExpectedVersion? Expected = null)
    : ICommand<Account?>
{
    /// <param name="passwordIsCurrent">Whether the sent password equals the stored one (only the
    /// handler can tell: it holds the hash).</param>
    public static IReadOnlyList<object> Decide(ChangeAccount command, Account? current, bool passwordIsCurrent)
    {
        var state = Account.Existing(current, command.Expected);
        var username = command.Username.Or(state.Username);
        var email = command.Email.Or(state.Email);
        var events = new List<object>();
        if (username != state.Username) events.Add(new AccountUsernameChanged(state.Id, username));
        if (email != state.Email) events.Add(new AccountEmailChanged(state.Id, email));
        if (command.Password.IsPresent && !passwordIsCurrent)
        {
            AccountRules.ThrowIfWeak(command.Password.Value, username, email);
            events.Add(new AccountPasswordChanged(state.Id));
        }
        // Any change of credentials or identity invalidates the key the client holds.
        if (events.Count > 0) events.Add(new AccountKeyRotated(state.Id));
        return events;
    }
}

public sealed class ChangeAccountValidator : AbstractValidator<ChangeAccount>
{
    public ChangeAccountValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.Username).Username(required: false);
        RuleFor(x => x.Email).Email(required: false);
        RuleFor(x => x.Password).Password(required: false);
    }
}
