using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Functions.Changing;

/// <summary>
/// PUT (<paramref name="Replace"/>: every field required) or PATCH of a function. Each field that really changes is its
/// own event; the code and the image are checked as the pair the change produces (new image against the stored code,
/// new code against the stored image).
/// </summary>
public sealed record ChangeFunction(Guid FunctionId, Guid AccountId, bool Replace, FunctionFields Fields, ExpectedVersion? Expected = null)
    : ICommand<Function?>, IFunctionFieldsCommand
{
    public bool AllRequired => Replace;

    public static IReadOnlyList<object> Decide(ChangeFunction command, Function? current)
    {
        var state = Function.Owned(current, command.AccountId, command.Expected);
        var f = command.Fields;
        var image = f.Image.IsPresent ? FunctionRules.FindImage(f.Image.Value)! : null;
        var code = f.Code.Or(state.Code);
        FunctionRules.CheckSignature(image?.Runtime ?? state.Runtime, code);

        var events = new List<object>();
        if (f.Name.Or(state.Name) is var name && name != state.Name) events.Add(new FunctionRenamed(state.Id, name));
        if (image is not null && image.Uuid != state.ImageId) events.Add(new FunctionImageChanged(state.Id, image.Uuid));
        if (code != state.Code) events.Add(new FunctionCodeChanged(state.Id, code));
        return events;
    }
}

public sealed class ChangeFunctionValidator : FunctionFieldsValidator<ChangeFunction>;
