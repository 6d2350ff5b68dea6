using Marten;
using Mediator;
using Microsoft.Extensions.Options;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Api.Jobs;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Functions;
using Sharedcloud.Es.Domain.Gpus;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Runs;
using Sharedcloud.Es.Domain.Runs.Creating;
using Sharedcloud.Es.Domain.Runs.Deleting;
using Sharedcloud.Es.Projections.Marketplace;

namespace Sharedcloud.Es.Api.Runs;

public sealed record RunResponse(
    Guid Uuid, Guid Function, string FunctionName, string Parameters, decimal BidPrice, Guid? BaseGpu, string BaseGpuName,
    int NumJobs, DateTimeOffset CreatedAt, DateTimeOffset CurrentServerTime)
{
    public static RunResponse From(Run r, DateTimeOffset now) =>
        new(r.Id, r.FunctionId, r.FunctionName, r.Parameters, r.BidPrice, r.BaseGpuId, r.BaseGpuName ?? "n/a", r.NumJobs, r.CreatedAt, now);
}

/// <summary>Money settings (section <c>Billing</c>).</summary>
public sealed class BillingOptions
{
    public const string Section = "Billing";

    /// <summary>Accounts whose email starts with one of these may start runs at a zero balance (production's beta accounts).</summary>
    public List<string> ExemptEmailPrefixes { get; set; } = [];

    public bool IsExempt(Account account) =>
        ExemptEmailPrefixes.Any(p => p.Length > 0 && account.Email.StartsWith(p, StringComparison.OrdinalIgnoreCase));
}

public sealed record ListRuns(Guid AccountId) : IQuery<IReadOnlyList<Run>>;

public sealed record GetRun(Guid AccountId, Guid RunId) : IQuery<Run>;

public sealed class RunReadHandlers(IQuerySession session) : IQueryHandler<ListRuns, IReadOnlyList<Run>>, IQueryHandler<GetRun, Run>
{
    public async ValueTask<IReadOnlyList<Run>> Handle(ListRuns query, CancellationToken ct) =>
        await session.Query<Run>().Where(r => r.AccountId == query.AccountId).OrderByDescending(r => r.Queue).ToListAsync(ct);

    public async ValueTask<Run> Handle(GetRun query, CancellationToken ct) =>
        await session.LoadAsync<Run>(query.RunId, ct) is { } run && run.IsVisibleTo(query.AccountId) ? run : throw new NotFoundException();
}

public sealed class RunWriteHandlers(StreamWrites writes, IOptions<BillingOptions> billing) :
    ICommandHandler<CreateRun, Run>, ICommandHandler<DeleteRun>
{
    /// <summary>
    /// The run and its jobs in one transaction, holding the function's lock (a deletion of the function, or of its
    /// account, comes before or after, never between).
    /// </summary>
    public async ValueTask<Run> Handle(CreateRun command, CancellationToken ct) =>
        await writes.InTransactionAsync(async session =>
        {
            var function = Guid.TryParse(command.Fields.Function.Value, out var functionId)
                ? (await session.Events.FetchForExclusiveWriting<Function>(functionId, ct)).Aggregate
                : null;
            var account = await session.LoadAsync<Account>(command.AccountId, ct) ?? throw new NotFoundException();
            var gpuAvailable = command.BaseGpu is { } gpu && await IsAvailableAsync(session, gpu, ct);
            var market = new RunMarket(account.Balance, billing.Value.IsExempt(account), gpuAvailable);
            var queue = function is null ? 0 : await NextQueuePositionAsync(session, ct);

            var (run, jobs) = CreateRun.Decide(command, function, market, queue, Guid.CreateVersion7);
            var stream = session.Events.StartStream<Run>(run.RunId, run);
            foreach (var job in jobs) session.Events.StartStream<Domain.Jobs.Job>(job.JobId, job);
            await session.SaveChangesAsync(ct);
            return Run.Evolve(null, run, stream.Events[0].Timestamp)!;
        }, ct);

    public async ValueTask<Unit> Handle(DeleteRun command, CancellationToken ct)
    {
        await writes.DecideAsync<Run>(command.RunId, async (state, session) =>
        {
            var jobs = await JobLocks.LockAsync(session, $"j.{MarketplaceSchema.Columns.RunId} = ?", ct, command.RunId);
            var (deleted, cascade) = DeleteRun.Decide(command, state, jobs);
            JobLocks.ReleaseCounters(session, jobs);
            StreamWrites.AppendElsewhere(session, cascade);
            return [deleted];
        }, ct);
        return Unit.Value;
    }

    /// <summary>Is an instance with this GPU model, or a stronger one (more CUDA cores), AVAILABLE now?</summary>
    private static async Task<bool> IsAvailableAsync(IQuerySession session, Gpu baseGpu, CancellationToken ct)
    {
        var models = GpuCatalog.All.Where(g => g.CudaCores >= baseGpu.CudaCores).Select(g => (Guid?)g.Uuid).ToArray();
        return await session.Query<Instance>().AnyAsync(i => i.Status == InstanceStatus.Available && models.Contains(i.GpuId), ct);
    }

    private static async Task<long> NextQueuePositionAsync(IDocumentSession session, CancellationToken ct)
    {
        await using var command = session.Connection!.CreateCommand();
        command.CommandText = $"select nextval('{MarketplaceSchema.QueueSequence}')";
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}

public static class RunEndpoints
{
    public static void MapRuns(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/v1/runs");
        var run = runs.MapGroup("{id:guid}");

        runs.MapGet("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow();
            var list = await mediator.Send(new ListRuns(http.AccountId()), ct);
            return ApiResults.Ok(list.Select(r => RunResponse.From(r, now)).ToList(), ApiJson.Api.ListRunResponse);
        }).Documented("listRuns", ApiTags.Runs, "The caller's runs, newest first", d => d.Returns<List<RunResponse>>());

        run.MapGet("", async (Guid id, HttpContext http, IMediator mediator, IQuerySession session, TimeProvider clock,
            CancellationToken ct) => PastStates.From(http.Request) is { } past
            ? Respond(await PastStates.LoadAsync<Run>(session, id, past, r => r.IsVisibleTo(http.AccountId()), ct), http, clock)
            : Respond(await mediator.Send(new GetRun(http.AccountId(), id), ct), http, clock))
            .Documented("getRun", ApiTags.Runs, "One run, as it is or as it was", d => d
                .TimeTravel(Run.Kind)
                .Returns<RunResponse>().ETag().Errors(StatusCodes.Status404NotFound));

        runs.MapPost("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync(http.Request, ct);
            var fields = new RunFields(body.Reference("function"), body.Text("parameters", trim: false), body.Decimal("bid_price"),
                body.Reference("base_gpu"));
            try
            {
                var created = await mediator.Send(new CreateRun(Guid.CreateVersion7(), http.AccountId(), fields), ct);
                return Respond(created, http, clock, StatusCodes.Status201Created);
            }
            catch (FieldErrorsException e) when (fields.Function.IsPresent && !e.Errors.Items.ContainsKey("function"))
            {
                // Every failing field at once: a refusal of the other fields names an unknown function too (a read on
                // the refusal's path only; a run that passes its shape check learns it from the write path's load).
                var function = Guid.TryParse(fields.Function.Value, out var functionId)
                    ? await http.RequestServices.GetRequiredService<IQuerySession>().LoadAsync<Function>(functionId, ct)
                    : null;
                if (function is not null && function.IsVisibleTo(http.AccountId())) throw;
                throw new FieldErrorsException(CreateRun.WithUnknownFunction(fields, e.Errors));
            }
        }).Documented("createRun", ApiTags.Runs, "Run a function: one job per tuple of parameters", d => d
            .Describe("`parameters` is a tuple of tuples in Python literal syntax (`((1,), (2,))`, at most " +
                      $"{CreateRun.MaxJobs} tuples), parsed and never evaluated; each tuple becomes a job, passed to the handler as its `event`. " +
                      "`bid_price` is the most paid per minute; GPU images need `base_gpu`, the weakest acceptable GPU. " +
                      "The caller's balance must be above 0 (unless exempt).")
            .Body<RunForm>().Returns<RunResponse>(StatusCodes.Status201Created, "The new run; its jobs are queued.").ETag());

        run.MapDelete("", async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            await mediator.Send(new DeleteRun(id, http.AccountId()), ct);
            return Results.NoContent();
        }).Documented("deleteRun", ApiTags.Runs, "Delete a run and its jobs", d => d
            .Describe("Refused (400) while one of its jobs is IN_PROGRESS.")
            .NoContent("Deleted, with its jobs. Their history stays readable.")
            .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound));

        // Runs are immutable.
        run.MapMethods("", ["PUT", "PATCH"], (HttpContext http) =>
            ErrorTable.WriteDetail(http.Response, StatusCodes.Status405MethodNotAllowed, $"Method \"{http.Request.Method}\" not allowed.",
                http.RequestAborted)).ExcludeFromDescription();
    }

    private static IResult Respond(Run run, HttpContext http, TimeProvider clock, int status = StatusCodes.Status200OK)
    {
        http.Response.SetETag(run.Version);
        return Results.Json(RunResponse.From(run, clock.GetUtcNow()), ApiJson.Api.RunResponse, statusCode: status);
    }
}
