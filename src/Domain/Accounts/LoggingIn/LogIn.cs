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
        // DRF's AuthTokenSerializer: two CharFields without a max_length. Credentials too long for any account are
        // "Unable to log in" like any other wrong ones (the body's limit bounds them).
        RuleFor(x => x.Username).Sent(required: true).OverridePropertyName("username");
        RuleFor(x => x.Password).Sent(required: true).OverridePropertyName("password");
    }
}
