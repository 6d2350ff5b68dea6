using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Functions.Creating;

/// <summary>POST /functions/: a consumer uploads code to run on an image of the catalog.</summary>
public sealed record CreateFunction(Guid FunctionId, Guid AccountId, FunctionFields Fields) : ICommand<Function>, IFunctionFieldsCommand
{
    public bool AllRequired => true;

    public static FunctionCreated Decide(CreateFunction command)
    {
        var image = FunctionRules.FindImage(command.Fields.Image.Value)!; // the shape check let only a catalog image through
        FunctionRules.CheckSignature(image.Runtime, command.Fields.Code.Value);
        return new FunctionCreated(command.FunctionId, command.AccountId, command.Fields.Name.Value, image.Uuid, command.Fields.Code.Value);
    }
}

public sealed class CreateFunctionValidator : FunctionFieldsValidator<CreateFunction>;
