using FluentValidation;

namespace Sharedcloud.Es.Domain.Common;

/// <summary>DRF field checks for the shapes every command shares, reported under snake_case names.</summary>
public static class FieldChecks
{
    /// <summary>
    /// Reports missing (when required), null, unreadable and blank input; returns the usable value
    /// or null when the field failed or was not sent.
    /// </summary>
    public static T? Usable<T, TCommand>(this ValidationContext<TCommand> ctx, string name, Field<T> field, bool required)
    {
        switch (field.State)
        {
            case FieldState.Missing:
                if (required) ctx.AddFailure(name, Messages.Required);
                return default;
            case FieldState.Null:
                ctx.AddFailure(name, Messages.Null);
                return default;
            case FieldState.Invalid:
                ctx.AddFailure(name, field.Error!);
                return default;
        }
        if (field.Value is string s && s.Length == 0)
        {
            ctx.AddFailure(name, Messages.Blank);
            return default;
        }
        return field.Value;
    }

    /// <summary>A CharField: required or not, never null or blank, at most <paramref name="maxLength"/>.</summary>
    public static string? Text<TCommand>(this ValidationContext<TCommand> ctx, string name, Field<string> field, bool required, int maxLength)
    {
        var value = ctx.Usable(name, field, required);
        if (value is not null && value.Length > maxLength)
        {
            ctx.AddFailure(name, Messages.MaxLength(maxLength));
            return null;
        }
        return value;
    }
}
