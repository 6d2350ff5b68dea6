using FluentValidation;
using Mediator;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Images;

namespace Sharedcloud.Es.Domain.Instances.Installing;

/// <summary>PATCH /instances/&lt;uuid&gt;/add-image/: the machine installed an image of the catalog.</summary>
public sealed record AddImage(Guid InstanceId, Guid AccountId, Field<string> ImageRegistryPath, ExpectedVersion? Expected = null)
    : ICommand<Instance?>
{
    public const string Field = "image_registry_path";
    public const string NeedsGpu = "your instance is type CPU, but this image is only supported by type GPU";
    public const string NeedsCpu = "your instance is type GPU, but this image is only supported by type CPU";

    public static string DoesNotExist(string path) => $"Object with registry_path={path} does not exist.";

    public static IReadOnlyList<object> Decide(AddImage command, Instance? state)
    {
        var instance = Instance.Owned(state, command.AccountId, command.Expected);
        var image = Known(command.ImageRegistryPath.Value);
        if (image.RequiresGpu && instance.Type != InstanceType.Gpu) throw Refused(NeedsGpu);
        if (!image.RequiresGpu && instance.Type == InstanceType.Gpu) throw Refused(NeedsCpu);
        return instance.DownloadedImages.Contains(image.RegistryPath)
            ? []
            : [new InstanceImageAdded(instance.Id, image.Uuid, image.RegistryPath)];
    }

    internal static Image Known(string path) =>
        ImageCatalog.FindByRegistryPath(path) ?? throw Refused(DoesNotExist(path));

    private static FieldErrorsException Refused(string message) => new(FieldErrors.For(Field, message));
}

/// <summary>PATCH /instances/&lt;uuid&gt;/delete-image/: the machine removed an image. Removing one it lacks changes nothing.</summary>
public sealed record DeleteImage(Guid InstanceId, Guid AccountId, Field<string> ImageRegistryPath, ExpectedVersion? Expected = null)
    : ICommand<Instance?>
{
    public static IReadOnlyList<object> Decide(DeleteImage command, Instance? state)
    {
        var instance = Instance.Owned(state, command.AccountId, command.Expected);
        var image = AddImage.Known(command.ImageRegistryPath.Value);
        return instance.DownloadedImages.Contains(image.RegistryPath)
            ? [new InstanceImageRemoved(instance.Id, image.Uuid, image.RegistryPath)]
            : [];
    }
}

public sealed class AddImageValidator : AbstractValidator<AddImage>
{
    public AddImageValidator() =>
        RuleFor(x => x.ImageRegistryPath).Cascade(CascadeMode.Stop).Sent(required: true).MaxLength(255).OverridePropertyName(AddImage.Field);
}

public sealed class DeleteImageValidator : AbstractValidator<DeleteImage>
{
    public DeleteImageValidator() =>
        RuleFor(x => x.ImageRegistryPath).Cascade(CascadeMode.Stop).Sent(required: true).MaxLength(255).OverridePropertyName(AddImage.Field);
}
