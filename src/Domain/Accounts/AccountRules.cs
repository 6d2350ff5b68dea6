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

    public static string? Username<T>(this ValidationContext<T> ctx, Field<string> field, bool required)
    {
        var value = ctx.Usable("username", field, required);
        if (value is null) return null;
        var errors = UsernameRules.Validate(value);
        foreach (var error in errors) ctx.AddFailure("username", error);
        return errors.Count == 0 ? value : null;
    }

    public static string? Email<T>(this ValidationContext<T> ctx, Field<string> field, bool required)
    {
        var value = ctx.Text("email", field, required, EmailMaxLength);
        if (value is null) return null;
        if (EmailRules.IsValid(value)) return value;
        ctx.AddFailure("email", EmailRules.InvalidMessage);
        return null;
    }

    /// <summary>Only the shape of a password; Django's strength rules need the account and run in Decide.</summary>
    public static string? Password<T>(this ValidationContext<T> ctx, Field<string> field, bool required) =>
        ctx.Text("password", field, required, PasswordMaxLength);

    public static void ThrowIfWeak(string password, string username, string email)
    {
        var errors = PasswordRules.Validate(password, username, email);
        if (errors.Count == 0) return;
        var fieldErrors = new FieldErrors();
        foreach (var error in errors) fieldErrors.Add("password", error);
        fieldErrors.ThrowIfAny();
    }
}
