using FluentValidation;
using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Accounts.Registering;

public sealed record RegisterAccount(Guid AccountId, Field<string> Username, Field<string> Email, Field<string> Password)
    : ICommand<Account>
{
    /// <summary>Username uniqueness is not checked here: the database enforces it atomically.</summary>
    public static AccountRegistered Decide(RegisterAccount command) =>
        new(command.AccountId, command.Username.Value, command.Email.Value);
}

public sealed class RegisterAccountValidator : AbstractValidator<RegisterAccount>
{
    public RegisterAccountValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.Username).Username(required: true);
        RuleFor(x => x.Email).Email(required: true);
        // A new account has no state: Django's strength rules can be listed with every other error.
        RuleFor(x => x.Password).Password(required: true)
            .Each((c, password) => Rules.PasswordRules.Validate(password, AccountRules.ValidUsername(c.Username), AccountRules.ValidEmail(c.Email)));
    }
}
