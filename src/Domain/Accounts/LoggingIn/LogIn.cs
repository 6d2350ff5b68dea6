using FluentValidation;
using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Accounts.LoggingIn;

/// <summary>Exchanges a username and password for the account's API key.</summary>
public sealed record LogIn(Field<string> Username, Field<string> Password) : ICommand<string>
{
    public const string InvalidCredentials = "Unable to log in with provided credentials.";
}

public sealed class LogInValidator : AbstractValidator<LogIn>
{
    public LogInValidator() => RuleFor(x => x).Custom((c, ctx) =>
    {
        ctx.Text("username", c.Username, required: true, AccountRules.UsernameMaxLength);
        ctx.Password(c.Password, required: true);
    });
}
