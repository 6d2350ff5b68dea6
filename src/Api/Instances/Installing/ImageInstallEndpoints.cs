using Mediator;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
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
        instance.MapPatch("add-image", async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync(http.Request, ct);
                return await InstanceResults.Of(mediator.Send(
                    new AddImage(id, http.AccountId(), body.Text(AddImage.Field), Preconditions.IfMatch(http.Request)), ct), http);
            })
            .PreconditionsFirst()
            .Documented("addImage", ApiTags.Machine, "Record an image as installed", d => d
                .Describe("A GPU image on a CPU instance (or the reverse) is a field error; an installed image changes nothing.")
                .Body<ImageForm>().Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));

        instance.MapPatch("delete-image", async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync(http.Request, ct);
                return await InstanceResults.Of(mediator.Send(
                    new DeleteImage(id, http.AccountId(), body.Text(AddImage.Field), Preconditions.IfMatch(http.Request)), ct), http);
            })
            .PreconditionsFirst()
            .Documented("deleteImage", ApiTags.Machine, "Record an image as removed", d => d
                .Describe("Removing an image that is not installed changes nothing.")
                .Body<ImageForm>().Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));
    }
}
