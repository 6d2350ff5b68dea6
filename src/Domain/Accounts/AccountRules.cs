using FluentValidation;
using Sharedcloud.Es.Domain.Accounts.Rules;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Accounts;

public static class AccountRules
{
    public const int UsernameMaxLength = 150;
    public const int EmailMaxLength = 254;
    /// <summary>Longer passwords only burn hashing time; Django's own limit is far above any real one.</summary>
    public const int PasswordMaxLength = 4096;
    public const string UsernameTaken = "A user with that username already exists.";

    /// <summary>A username: Django's rules for it, every one that fails.</summary>
    public static IRuleBuilderOptions<T, Field<string>> Username<T>(this IRuleBuilder<T, Field<string>> rule, bool required) =>
        rule.Sent(required).Each(UsernameRules.Validate).OverridePropertyName("username");

    public static IRuleBuilderOptions<T, Field<string>> Email<T>(this IRuleBuilder<T, Field<string>> rule, bool required) =>
        rule.Sent(required).MaxLength(EmailMaxLength).Value(EmailRules.IsValid, EmailRules.InvalidMessage).OverridePropertyName("email");

    /// <summary>Only the shape of a password; Django's strength rules need the username and email.</summary>
    public static IRuleBuilderOptions<T, Field<string>> Password<T>(this IRuleBuilder<T, Field<string>> rule, bool required) =>
        rule.Sent(required).MaxLength(PasswordMaxLength).OverridePropertyName("password");

    /// <summary>The sent username when it passes its rules (what a new password is compared with); else null.</summary>
    public static string? ValidUsername(Field<string> field) =>
        field.IsPresent && field.Value.Length > 0 && UsernameRules.Validate(field.Value).Count == 0 ? field.Value : null;

    /// <summary>The sent email when it passes its rules; else null.</summary>
    public static string? ValidEmail(Field<string> field) =>
        field.IsPresent && field.Value.Length is > 0 and <= EmailMaxLength && EmailRules.IsValid(field.Value) ? field.Value : null;

    public static void ThrowIfWeak(string password, string username, string email)
    {
        var errors = PasswordRules.Validate(password, username, email);
        if (errors.Count == 0) return;
        var fieldErrors = new FieldErrors();
        foreach (var error in errors) fieldErrors.Add("password", error);
        fieldErrors.ThrowIfAny();
    }
}
