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
    public LogInValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.Username).Sent(required: true).MaxLength(AccountRules.UsernameMaxLength).OverridePropertyName("username");
        RuleFor(x => x.Password).Password(required: true);
    }
}
