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
    public RegisterAccountValidator() => RuleFor(x => x).Custom((c, ctx) =>
    {
        var username = ctx.Username(c.Username, required: true);
        var email = ctx.Email(c.Email, required: true);
        var password = ctx.Password(c.Password, required: true);
        // A new account has no state: Django's strength rules can be listed with every other error.
        if (password is not null)
            foreach (var error in Rules.PasswordRules.Validate(password, username, email))
                ctx.AddFailure("password", error);
    });
}
