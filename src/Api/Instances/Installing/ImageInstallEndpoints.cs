using Mediator;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Installing;

namespace Sharedcloud.Es.Api.Instances.Installing;

public sealed class ImageInstallHandlers(StreamWrites writes) :
    ICommandHandler<AddImage, Instance?>,
    ICommandHandler<DeleteImage, Instance?>
{
    public async ValueTask<Instance?> Handle(AddImage command, CancellationToken ct) =>
        await writes.DecideAsync<Instance>(command.InstanceId, state => AddImage.Decide(command, state), ct);

    public async ValueTask<Instance?> Handle(DeleteImage command, CancellationToken ct) =>
        await writes.DecideAsync<Instance>(command.InstanceId, state => DeleteImage.Decide(command, state), ct);
}

/// <summary>The provider's machine records the images it installed and removed.</summary>
public static class ImageInstallEndpoints
{
    public static void MapImageInstalls(this RouteGroupBuilder instance)
    {
        instance.MapImageWrite("add-image", (id, account, path, expected) => new AddImage(id, account, path, expected))
            .Documented("addImage", ApiTags.Machine, "Record an image as installed", d => d
                .Describe("A GPU image on a CPU instance (or the reverse) is a field error; an installed image changes nothing.")
                .Body<ImageForm>().Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));

        instance.MapImageWrite("delete-image", (id, account, path, expected) => new DeleteImage(id, account, path, expected))
            .Documented("deleteImage", ApiTags.Machine, "Record an image as removed", d => d
                .Describe("Removing an image that is not installed changes nothing.")
                .Body<ImageForm>().Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));
    }

    /// <summary>A PATCH with <c>image_registry_path</c>, answered with the instance the command leaves.</summary>
    private static RouteHandlerBuilder MapImageWrite<TCommand>(this RouteGroupBuilder instance, string path,
        Func<Guid, Guid, Field<string>, ExpectedVersion?, TCommand> command) where TCommand : ICommand<Instance?> =>
        instance.MapPatch(path, async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync(http.Request, ct);
            var write = command(id, http.AccountId(), body.Text(AddImage.Field), Preconditions.IfMatch(http.Request));
            return await InstanceResults.Of(mediator.Send(write, ct), http);
        }).PreconditionsFirst();
}
