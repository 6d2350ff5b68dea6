using System.Text.RegularExpressions;
using FluentValidation;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Images;

namespace Sharedcloud.Es.Domain.Functions;

/// <summary>The fields a client may send to create or change a function, as sent (<c>runtime</c> is the image's: ignored).</summary>
public sealed record FunctionFields(Field<string> Name, Field<string> Image, Field<string> Code);

/// <summary>A command that carries a function's fields: create and PUT (all required), PATCH (any).</summary>
public interface IFunctionFieldsCommand
{
    FunctionFields Fields { get; }
    bool AllRequired { get; }
}

/// <summary>The shape of the function fields (DRF's CharField, PrimaryKeyRelatedField, TextField), before anything is read.</summary>
public abstract class FunctionFieldsValidator<T> : AbstractValidator<T> where T : IFunctionFieldsCommand
{
    public const int NameMaxLength = 255;

    protected FunctionFieldsValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.Fields.Name).Sent(x => x.AllRequired).MaxLength(NameMaxLength).OverridePropertyName("name");
        RuleFor(x => x.Fields.Image).Sent(x => x.AllRequired)
            .Value(i => FunctionRules.FindImage(i) is not null, Messages.DoesNotExist)
            .OverridePropertyName("image");
        RuleFor(x => x.Fields.Code).Sent(x => x.AllRequired).OverridePropertyName("code");
    }
}

/// <summary>The rules of a function's code: it must define the handler its image's runtime calls.</summary>
public static partial class FunctionRules
{
    public const string SignatureFragment = "The code needs to have the following signature: ";

    /// <summary>The signature each runtime calls, as production names it in its message.</summary>
    public static string SignatureOf(string runtime) => runtime == "node8" ? "function handler(event)" : "def handler(event):";

    /// <summary>The catalog image a client's reference names (a uuid), or null.</summary>
    public static Image? FindImage(string reference) => Guid.TryParse(reference, out var id) ? ImageCatalog.Find(id) : null;

    /// <summary>Does <paramref name="code"/> define the handler of <paramref name="runtime"/> (at any indentation, spacing as Python or JavaScript allows)?</summary>
    public static bool HasHandler(string runtime, string code) =>
        runtime == "node8" ? NodeHandler().IsMatch(code) : PythonHandler().IsMatch(code);

    /// <summary>The decision's check of the pair a create or a change produces: 400 on <c>code</c>.</summary>
    public static void CheckSignature(string runtime, string code)
    {
        if (!HasHandler(runtime, code))
            throw new FieldErrorsException(FieldErrors.For("code", SignatureFragment + SignatureOf(runtime)));
    }

    [GeneratedRegex(@"^[ \t]*def[ \t]+handler[ \t]*\([ \t]*event[ \t]*\)[ \t]*:", RegexOptions.Multiline)]
    private static partial Regex PythonHandler();

    [GeneratedRegex(@"(^|[^\w$.])function[ \t]+handler[ \t]*\([ \t]*event[ \t]*\)")]
    private static partial Regex NodeHandler();
}
