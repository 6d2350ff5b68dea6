using Mediator;
using Sharedcloud.Es.Api.Auth;
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
        });

        instance.MapPatch("stop", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var expected = await InstanceEndpoints.CheckPreconditionsAsync(id, http, mediator, ct);
            await mediator.Send(new StopInstance(id, http.AccountId(), expected), ct);
            return await InstanceEndpoints.Render(id, http, mediator, clock, StatusCodes.Status200OK, ct);
        });

        // The job marketplace is not part of this service yet: no instance is ever assigned a job.
        instance.MapGet("get-jobs", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            await mediator.Send(new RecordContact(id, http.AccountId(), clock.GetUtcNow()), ct);
            return Results.Text("[]", "application/json");
        });

        instance.MapPatch("add-image", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var expected = await InstanceEndpoints.CheckPreconditionsAsync(id, http, mediator, ct); // 404, 412, then 400
            var body = await RequestBody.ReadAsync(http.Request, ct);
            await mediator.Send(new AddImage(id, http.AccountId(), body.Text(AddImage.Field), expected), ct);
            return await InstanceEndpoints.Render(id, http, mediator, clock, StatusCodes.Status200OK, ct);
        });

        instance.MapPatch("delete-image", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var expected = await InstanceEndpoints.CheckPreconditionsAsync(id, http, mediator, ct);
            var body = await RequestBody.ReadAsync(http.Request, ct);
            await mediator.Send(new DeleteImage(id, http.AccountId(), body.Text(AddImage.Field), expected), ct);
            return await InstanceEndpoints.Render(id, http, mediator, clock, StatusCodes.Status200OK, ct);
        });
    }
}
