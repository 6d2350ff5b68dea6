using FluentValidation;
using FluentValidation.Validators;

namespace Sharedcloud.Es.Domain.Common;

/// <summary>
/// FluentValidation rules for a request field as the client sent it (<see cref="Field{T}"/>), with Django REST
/// Framework's messages. A rule starts with <see cref="Sent{T,TValue}"/> (missing when required, null, unreadable,
/// blank: the field's one error), then judges the value, if one was sent, one message a rule. The validators stop a
/// field's rule at its first failure, as DRF reports one message for each of these.
/// </summary>
public static class FieldRules
{
    /// <summary>The field as sent: required (as <paramref name="required"/> says for the command), not null, readable, not blank.</summary>
    public static IRuleBuilderOptions<T, Field<TValue>> Sent<T, TValue>(this IRuleBuilder<T, Field<TValue>> rule,
        Func<T, bool> required, bool nullable = false, bool blankable = false) =>
        rule.SetValidator(new SentValidator<T, TValue>(required, nullable, blankable));

    /// <inheritdoc cref="Sent{T,TValue}(IRuleBuilder{T,Field{TValue}},Func{T,bool},bool,bool)"/>
    public static IRuleBuilderOptions<T, Field<TValue>> Sent<T, TValue>(this IRuleBuilder<T, Field<TValue>> rule,
        bool required, bool nullable = false, bool blankable = false) =>
        rule.Sent(_ => required, nullable, blankable);

    /// <summary>A rule on the sent value, judged only when a value was sent.</summary>
    public static IRuleBuilderOptions<T, Field<TValue>> Value<T, TValue>(this IRuleBuilder<T, Field<TValue>> rule,
        Func<TValue, bool> valid, string message) =>
        rule.Must(f => !f.IsPresent || valid(f.Value)).WithMessage(message);

    /// <inheritdoc cref="Value{T,TValue}(IRuleBuilder{T,Field{TValue}},Func{TValue,bool},string)"/>
    public static IRuleBuilderOptions<T, Field<TValue>> Value<T, TValue>(this IRuleBuilder<T, Field<TValue>> rule,
        Func<TValue, bool> valid, Func<TValue, string> message) =>
        rule.Must(f => !f.IsPresent || valid(f.Value)).WithMessage((_, f) => message(f.Value));

    /// <summary>A CharField's max_length.</summary>
    public static IRuleBuilderOptions<T, Field<string>> MaxLength<T>(this IRuleBuilder<T, Field<string>> rule, int max) =>
        rule.Value(v => v.Length <= max || Accounts.Rules.PythonText.Length(v) <= max, Messages.MaxLength(max)); // characters, as Python counts them

    public const int MoneyMaxDigits = 10;
    public const int MoneyDecimalPlaces = 3;

    /// <summary>
    /// A price (DRF's DecimalField(max_digits=10, decimal_places=3)) of at least <paramref name="min"/>. The minimum is
    /// judged first: production answers 0.0001 with the minimum's message, not the decimal places one.
    /// </summary>
    public static IRuleBuilderOptions<T, Field<decimal>> Money<T>(this IRuleBuilder<T, Field<decimal>> rule, decimal min,
        string tooSmall) =>
        rule.Value(p => p >= min, tooSmall)
            .Value(p => DecimalPlaces(p) <= MoneyDecimalPlaces, Messages.MaxDecimalPlaces(MoneyDecimalPlaces))
            .Value(p => WholeDigits(p) <= MoneyMaxDigits - MoneyDecimalPlaces,
                $"Ensure that there are no more than {MoneyMaxDigits - MoneyDecimalPlaces} digits before the decimal point.");

    private static int DecimalPlaces(decimal d) => (decimal.GetBits(d)[3] >> 16) & 0xFF;

    private static int WholeDigits(decimal d)
    {
        var whole = decimal.Truncate(Math.Abs(d));
        return whole == 0 ? 0 : whole.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
    }

    /// <summary>Checks that name every problem of the value (a list of messages, all reported), after it was sent; the field's last rule.</summary>
    public static IRuleBuilderOptions<T, Field<string>> Each<T>(this IRuleBuilder<T, Field<string>> rule,
        Func<string, IEnumerable<string>> problems) =>
        rule.Each((_, value) => problems(value));

    /// <inheritdoc cref="Each{T}(IRuleBuilder{T,Field{string}},Func{string,IEnumerable{string}})"/>
    public static IRuleBuilderOptions<T, Field<string>> Each<T>(this IRuleBuilder<T, Field<string>> rule,
        Func<T, string, IEnumerable<string>> problems) =>
        rule.Must((command, f, ctx) =>
        {
            // Every problem is its own failure, in the order found; the rule itself then passes.
            if (f.IsPresent)
                foreach (var problem in problems(command, f.Value)) ctx.AddFailure(ctx.PropertyPath, problem);
            return true;
        });

    private sealed class SentValidator<T, TValue>(Func<T, bool> required, bool nullable, bool blankable)
        : PropertyValidator<T, Field<TValue>>
    {
        public override string Name => "Sent";

        public override bool IsValid(ValidationContext<T> context, Field<TValue> field)
        {
            var error = field.State switch
            {
                FieldState.Missing => required(context.InstanceToValidate) ? Messages.Required : null,
                FieldState.Null => nullable ? null : Messages.Null,
                FieldState.Invalid => field.Error,
                _ => !blankable && field.Value is string { Length: 0 } ? Messages.Blank : null,
            };
            if (error is null) return true;
            context.MessageFormatter.AppendArgument("Error", error);
            return false;
        }

        protected override string GetDefaultMessageTemplate(string errorCode) => "{Error}";
    }
}
