using Marten;
using Mediator;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Api.Jobs;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Functions;
using Sharedcloud.Es.Domain.Functions.Changing;
using Sharedcloud.Es.Domain.Functions.Creating;
using Sharedcloud.Es.Domain.Functions.Deleting;
using Sharedcloud.Es.Domain.Jobs;
using Sharedcloud.Es.Domain.Runs;
using Sharedcloud.Es.Projections.Marketplace;

namespace Sharedcloud.Es.Api.Functions;

public sealed record FunctionResponse(
    Guid Uuid, string Name, Guid Image, string RegistryPath, string Runtime, string Code, int NumRuns,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset CurrentServerTime)
{
    public static FunctionResponse From(Function f, int numRuns, DateTimeOffset now) =>
        new(f.Id, f.Name, f.ImageId, f.RegistryPath, f.Runtime, f.Code, numRuns, f.CreatedAt, f.UpdatedAt, now);
}

/// <summary>A function with its number of runs (counted from the run documents: runs are their own streams).</summary>
public sealed record FunctionView(Function Function, int NumRuns);

public sealed record ListFunctions(Guid AccountId) : IQuery<IReadOnlyList<FunctionView>>;

public sealed record GetFunction(Guid AccountId, Guid FunctionId) : IQuery<FunctionView>;

public sealed class FunctionReadHandlers(IQuerySession session) :
    IQueryHandler<ListFunctions, IReadOnlyList<FunctionView>>, IQueryHandler<GetFunction, FunctionView>
{
    public async ValueTask<IReadOnlyList<FunctionView>> Handle(ListFunctions query, CancellationToken ct)
    {
        var functions = await session.Query<Function>().Where(f => f.AccountId == query.AccountId)
            .OrderByDescending(f => f.CreatedAt).ToListAsync(ct);
        var runs = await RunCounts(session, query.AccountId, ct);
        return functions.Select(f => new FunctionView(f, runs.GetValueOrDefault(f.Id))).ToList();
    }

    public async ValueTask<FunctionView> Handle(GetFunction query, CancellationToken ct) =>
        await session.LoadAsync<Function>(query.FunctionId, ct) is { } f && f.IsVisibleTo(query.AccountId)
            ? new FunctionView(f, await RunCount(session, f.Id, ct))
            : throw new NotFoundException();

    public static async Task<int> RunCount(IQuerySession session, Guid functionId, CancellationToken ct) =>
        await session.Query<Run>().CountAsync(r => r.FunctionId == functionId, ct);

    private static async Task<Dictionary<Guid, int>> RunCounts(IQuerySession session, Guid accountId, CancellationToken ct) =>
        (await session.Query<Run>().Where(r => r.AccountId == accountId).Select(r => r.FunctionId).ToListAsync(ct))
        .GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
}

public sealed class FunctionWriteHandlers(StreamWrites writes) :
    ICommandHandler<CreateFunction, Function>, ICommandHandler<ChangeFunction, Function?>, ICommandHandler<DeleteFunction>
{
    public async ValueTask<Function> Handle(CreateFunction command, CancellationToken ct)
    {
        try
        {
            return await writes.StartAsync<Function>(command.FunctionId, [CreateFunction.Decide(command)],
                session => Accounts.AccountHold.Queue(session, command.AccountId), ct);
        }
        catch (Exception e) when (Accounts.AccountHold.IsMissing(e))
        {
            throw new NotFoundException();
        }
    }

    public async ValueTask<Function?> Handle(ChangeFunction command, CancellationToken ct) =>
        await writes.DecideAsync<Function>(command.FunctionId, state => ChangeFunction.Decide(command, state), ct);

    public async ValueTask<Unit> Handle(DeleteFunction command, CancellationToken ct)
    {
        await writes.DecideAsync<Function>(command.FunctionId, async (state, session) =>
        {
            Function.Owned(state, command.AccountId, command.Expected);
            var jobs = await JobLocks.LockAsync(session, $"j.{MarketplaceSchema.Columns.FunctionId} = ?", ct, command.FunctionId);
            var runIds = await session.Query<Run>().Where(r => r.FunctionId == command.FunctionId).Select(r => r.Id).ToListAsync(ct);
            var (deleted, cascade) = DeleteFunction.Decide(command, state, runIds, jobs);
            JobLocks.ReleaseCounters(session, jobs);
            StreamWrites.AppendElsewhere(session, cascade);
            return [deleted];
        }, ct);
        return Unit.Value;
    }
}

public static class FunctionEndpoints
{
    public static void MapFunctions(this IEndpointRouteBuilder app)
    {
        var functions = app.MapGroup("/api/v1/functions");
        var function = functions.MapGroup("{id:guid}");

        functions.MapGet("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow();
            var list = await mediator.Send(new ListFunctions(http.AccountId()), ct);
            return ApiResults.Ok(list.Select(v => FunctionResponse.From(v.Function, v.NumRuns, now)).ToList(), ApiJson.Api.ListFunctionResponse);
        }).Documented("listFunctions", ApiTags.Functions, "The caller's functions, newest first", d => d.Returns<List<FunctionResponse>>());

        // As it is, or with ?version=N or ?at=<time> as it was then (time travel; num_runs is today's).
        function.MapGet("", async (Guid id, HttpContext http, IMediator mediator, IQuerySession session, TimeProvider clock,
            CancellationToken ct) =>
        {
            if (PastStates.From(http.Request) is not { } past) return Respond(await mediator.Send(new GetFunction(http.AccountId(), id), ct), http, clock);
            var then = await PastStates.LoadAsync<Function>(session, id, past, f => f.IsVisibleTo(http.AccountId()), ct);
            return Respond(new FunctionView(then, await FunctionReadHandlers.RunCount(session, id, ct)), http, clock);
        }).Documented("getFunction", ApiTags.Functions, "One function, as it is or as it was", d => d
            .TimeTravel(Function.Kind)
            .Returns<FunctionResponse>().ETag().Errors(StatusCodes.Status404NotFound));

        functions.MapPost("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var fields = Read(await RequestBody.ReadAsync(http.Request, ct));
            var created = await mediator.Send(new CreateFunction(Guid.CreateVersion7(), http.AccountId(), fields), ct);
            return Respond(new FunctionView(created, 0), http, clock, StatusCodes.Status201Created);
        }).Documented("createFunction", ApiTags.Functions, "Upload a function", d => d
            .Describe("The code must define the handler the image's runtime calls (`def handler(event):` for Python, " +
                      "`function handler(event)` for node8). `runtime` is the image's; a sent one is ignored.")
            .Body<FunctionForm>().Returns<FunctionResponse>(StatusCodes.Status201Created, "The new function.").ETag());

        function.MapPut("", (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
                Change(id, replace: true, http, mediator, clock, ct))
            .PreconditionsFirst()
            .Documented("replaceFunction", ApiTags.Functions, "Update a function", d => d
                .Body<FunctionForm>().Returns<FunctionResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));

        function.MapPatch("", (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
                Change(id, replace: false, http, mediator, clock, ct))
            .PreconditionsFirst()
            .Documented("changeFunction", ApiTags.Functions, "Change some of a function's fields", d => d
                .Describe("The code and the image are checked as the pair the change produces. Queued jobs keep the code " +
                          "their run was created with.")
                .Body<FunctionChangesForm>(required: false).Returns<FunctionResponse>().ETag().IfMatch()
                .Errors(StatusCodes.Status404NotFound));

        function.MapDelete("", async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            await mediator.Send(new DeleteFunction(id, http.AccountId(), Preconditions.IfMatch(http.Request)), ct);
            return Results.NoContent();
        }).Documented("deleteFunction", ApiTags.Functions, "Delete a function, its runs and their jobs", d => d
            .Describe("Refused (400) while one of its jobs is IN_PROGRESS: `This has jobs in progress. Please wait until they are finished`.")
            .NoContent("Deleted, with its runs and jobs. Their history stays readable.").IfMatch()
            .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound));
    }

    private static FunctionFields Read(RequestBody body) =>
        new(body.Text("name"), body.Reference("image"), body.Text("code", trim: false));

    private static async Task<IResult> Change(Guid id, bool replace, HttpContext http, IMediator mediator, TimeProvider clock,
        CancellationToken ct)
    {
        var fields = Read(await RequestBody.ReadAsync(http.Request, ct));
        var changed = await mediator.Send(new ChangeFunction(id, http.AccountId(), replace, fields, Preconditions.IfMatch(http.Request)), ct)
                      ?? throw new NotFoundException();
        var runs = await FunctionReadHandlers.RunCount(http.RequestServices.GetRequiredService<IQuerySession>(), id, ct);
        return Respond(new FunctionView(changed, runs), http, clock);
    }

    private static IResult Respond(FunctionView view, HttpContext http, TimeProvider clock, int status = StatusCodes.Status200OK)
    {
        http.Response.SetETag(view.Function.Version);
        return Results.Json(FunctionResponse.From(view.Function, view.NumRuns, clock.GetUtcNow()), ApiJson.Api.FunctionResponse,
            statusCode: status);
    }

    private static RouteHandlerBuilder PreconditionsFirst(this RouteHandlerBuilder route) =>
        route.AddEndpointFilter(new PreconditionsFirst(Function.Kind, async (http, ct) =>
            await http.RequestServices.GetRequiredService<IQuerySession>()
                .LoadAsync<Function>(Guid.Parse((string)http.Request.RouteValues["id"]!), ct) is { } f && f.IsVisibleTo(http.AccountId())
                ? f.Version
                : null));
}
