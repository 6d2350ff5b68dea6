using Mediator;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Changing;
using Sharedcloud.Es.Domain.Instances.Deleting;
using Sharedcloud.Es.Domain.Instances.Registering;

namespace Sharedcloud.Es.Api.Instances;

public static class InstanceEndpoints
{
    public static void MapInstances(this IEndpointRouteBuilder app)
    {
        var instances = app.MapGroup("/api/v1/instances");

        instances.MapGet("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var list = await mediator.Send(new ListInstances(http.AccountId()), ct);
            var now = clock.GetUtcNow();
            return ApiResults.Ok(list.Select(d => InstanceResponse.From(d, now)).ToList(), ApiJson.Api.ListInstanceResponse);
        });

        instances.MapGet("{id:guid}", (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
            Render(id, http, mediator, clock, StatusCodes.Status200OK, ct));

        instances.MapPost("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var fields = ReadFields(await RequestBody.ReadAsync(http.Request, ct));
            var id = await mediator.Send(new RegisterInstance(Guid.CreateVersion7(), http.AccountId(), fields), ct);
            return await Render(id, http, mediator, clock, StatusCodes.Status201Created, ct);
        });

        instances.MapPut("{id:guid}", (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
            Change(id, replace: true, http, mediator, clock, ct));

        instances.MapPatch("{id:guid}", (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
            Change(id, replace: false, http, mediator, clock, ct));

        instances.MapDelete("{id:guid}", async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            await mediator.Send(new DeleteInstance(id, http.AccountId()), ct);
            return Results.NoContent();
        });
    }

    private static async Task<IResult> Change(Guid id, bool replace, HttpContext http, IMediator mediator, TimeProvider clock,
        CancellationToken ct)
    {
        // As DRF (get_object before the serializer): an instance that does not exist for the caller
        // is 404 whatever the body holds, never 400. The command checks again against its own read.
        await mediator.Send(new GetInstance(http.AccountId(), id), ct);
        var fields = ReadFields(await RequestBody.ReadAsync(http.Request, ct));
        await mediator.Send(new ChangeInstance(id, http.AccountId(), replace, fields), ct);
        return await Render(id, http, mediator, clock, StatusCodes.Status200OK, ct);
    }

    internal static async Task<IResult> Render(Guid id, HttpContext http, IMediator mediator, TimeProvider clock, int status,
        CancellationToken ct)
    {
        var details = await mediator.Send(new GetInstance(http.AccountId(), id), ct);
        return Results.Json(InstanceResponse.From(details, clock.GetUtcNow()), ApiJson.Api.InstanceResponse,
            statusCode: status);
    }

    private static InstanceFields ReadFields(RequestBody body) => new(
        Name: body.Text("name"),
        AskPrice: body.Decimal("ask_price"),
        Type: body.InstanceType("type"),
        Gpu: body.Reference("gpu"),
        MaxNumParallelJobs: body.Integer("max_num_parallel_jobs"));
}
