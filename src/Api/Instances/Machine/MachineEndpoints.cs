using Mediator;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Instances.Installing;
using Sharedcloud.Es.Domain.Instances.Operating;

namespace Sharedcloud.Es.Api.Instances.Machine;

/// <summary>The calls the provider's machine makes: start/stop, the job poll, installed images.</summary>
public static class MachineEndpoints
{
    public static void MapMachine(this IEndpointRouteBuilder app)
    {
        var instance = app.MapGroup("/api/v1/instances/{id:guid}");

        instance.MapPatch("start", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var expected = await InstanceEndpoints.CheckPreconditionsAsync(id, http, mediator, ct);
            await mediator.Send(new StartInstance(id, http.AccountId(), expected), ct);
            return await InstanceEndpoints.Render(id, http, mediator, clock, StatusCodes.Status200OK, ct);
        }).Documented("startInstance", ApiTags.Machine, "Start: status AVAILABLE", d => d
            .Describe("On the market once the machine also polls `get-jobs`. Starting a started instance changes nothing.")
            .Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));

        instance.MapPatch("stop", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var expected = await InstanceEndpoints.CheckPreconditionsAsync(id, http, mediator, ct);
            await mediator.Send(new StopInstance(id, http.AccountId(), expected), ct);
            return await InstanceEndpoints.Render(id, http, mediator, clock, StatusCodes.Status200OK, ct);
        }).Documented("stopInstance", ApiTags.Machine, "Stop: status NOT_AVAILABLE", d => d
            .Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));

        // The job marketplace is not part of this service yet: no instance is ever assigned a job.
        instance.MapGet("get-jobs", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            await mediator.Send(new RecordContact(id, http.AccountId(), clock.GetUtcNow()), ct);
            return Results.Text("[]", "application/json");
        }).Documented("getJobs", ApiTags.Machine, "The machine's poll", d => d
            .Describe("The provider's machine calls this every 5 seconds: it records the contact (`last_connection`; the first " +
                      "poll after a silence brings the instance online) and returns the machine's jobs.")
            .Returns<List<object>>(description: "The jobs assigned to the machine: always `[]` (the job marketplace is not part of this service).")
            .Errors(StatusCodes.Status404NotFound));

        instance.MapPatch("add-image", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var expected = await InstanceEndpoints.CheckPreconditionsAsync(id, http, mediator, ct); // 404, 412, then 400
            var body = await RequestBody.ReadAsync(http.Request, ct);
            await mediator.Send(new AddImage(id, http.AccountId(), body.Text(AddImage.Field), expected), ct);
            return await InstanceEndpoints.Render(id, http, mediator, clock, StatusCodes.Status200OK, ct);
        }).Documented("addImage", ApiTags.Machine, "Record an image as installed", d => d
            .Describe("A GPU image on a CPU instance (or the reverse) is a field error; an installed image changes nothing.")
            .Body<ImageForm>().Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));

        instance.MapPatch("delete-image", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var expected = await InstanceEndpoints.CheckPreconditionsAsync(id, http, mediator, ct);
            var body = await RequestBody.ReadAsync(http.Request, ct);
            await mediator.Send(new DeleteImage(id, http.AccountId(), body.Text(AddImage.Field), expected), ct);
            return await InstanceEndpoints.Render(id, http, mediator, clock, StatusCodes.Status200OK, ct);
        }).Documented("deleteImage", ApiTags.Machine, "Record an image as removed", d => d
            .Describe("Removing an image that is not installed changes nothing.")
            .Body<ImageForm>().Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));
    }
}
