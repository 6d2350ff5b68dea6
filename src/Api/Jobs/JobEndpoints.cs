using System.Text;
using Marten;
using Mediator;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Jobs;
using Sharedcloud.Es.Domain.Jobs.Reporting;

namespace Sharedcloud.Es.Api.Jobs;

public sealed record JobResponse(
    Guid Uuid, Guid Run, string FunctionName, int IncrementalId, string Arguments, JobStatus Status, Guid? Instance,
    DateTimeOffset? AssignedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, long? Duration, decimal Cost,
    string BuildLogs, string Stdout, string Stderr, string Result, DateTimeOffset CreatedAt, DateTimeOffset CurrentServerTime)
{
    public static JobResponse From(Job j, DateTimeOffset now) =>
        new(j.Id, j.RunId, j.FunctionName, j.IncrementalId, j.Arguments, j.Status, j.InstanceId, j.AssignedAt, j.StartedAt,
            j.FinishedAt, j.Duration, j.Cost, j.BuildLogs, j.Stdout, j.Stderr, j.Result, j.CreatedAt, now);
}

public sealed record ListJobs(Guid AccountId) : IQuery<IReadOnlyList<Job>>;

public sealed record GetJob(Guid AccountId, Guid JobId) : IQuery<Job>;

public sealed class JobReadHandlers(IQuerySession session) : IQueryHandler<ListJobs, IReadOnlyList<Job>>, IQueryHandler<GetJob, Job>
{
    // Newest first: a later run's jobs before an earlier run's (the queue position, not the displayed second), and
    // within a run the later tuple first.
    public async ValueTask<IReadOnlyList<Job>> Handle(ListJobs query, CancellationToken ct) =>
        await session.Query<Job>().Where(j => j.AccountId == query.AccountId)
            .OrderByDescending(j => j.Queue).ThenByDescending(j => j.IncrementalId).ToListAsync(ct);

    public async ValueTask<Job> Handle(GetJob query, CancellationToken ct) =>
        await session.LoadAsync<Job>(query.JobId, ct) is { } job && job.AccountId == query.AccountId ? job : throw new NotFoundException();
}

/// <summary>
/// A machine's report, on the write path: the job's lock and state, the decision, its events, the instance's counters
/// and, for a billed outcome, the two accounts' payments (<see cref="Payments"/>), in one transaction.
/// </summary>
public sealed class ReportJobHandler(StreamWrites writes) : ICommandHandler<ReportJob, Job>
{
    public async ValueTask<Job> Handle(ReportJob command, CancellationToken ct) =>
        (await writes.DecideAsync<Job>(command.JobId, async (state, session) =>
        {
            var (events, money) = ReportJob.Decide(command, state);
            if (events.Count == 0) return events; // a repeated IN_PROGRESS
            var instanceId = state!.InstanceId!.Value; // Decide refuses a job no instance holds
            foreach (var e in events)
                if (e is JobStarted) JobLocks.MoveCounters(session, instanceId, assigned: -1, running: 1);
                else if (e is JobFinished) JobLocks.MoveCounters(session, instanceId, assigned: 0, running: -1);
            await Payments.RecordAsync(session, state, money, ct);
            return events;
        }, ct))!;
}

/// <summary>
/// The moves of money a job's outcome makes: each account's stream locked and loaded, all in one round trip and in id
/// order (so two reports that pay the same accounts queue instead of deadlocking), and its events appended. A deleted
/// account is paid nothing. The consumer's charge carries the consumer as a party: the provider's request appends it.
/// </summary>
public static class Payments
{
    public static async Task RecordAsync(IDocumentSession session, Job job, IReadOnlyList<Elsewhere> money, CancellationToken ct)
    {
        if (money.Count == 0) return;
        foreach (var payee in await StreamWrites.FetchManyForWritingAsync<Account>(session, money.Select(m => m.StreamId), ct))
        {
            if (payee.Aggregate is null) continue;
            payee.AppendMany(money.Where(m => m.StreamId == payee.Id).Select(m => m.Event).ToArray());
            if (payee.Id == job.AccountId) Parties.Involve(payee.Events, job.AccountId);
        }
    }
}

/// <summary>A report's text past <see cref="ReportJob.MaxTextBytes"/>: 413.</summary>
public sealed class TextTooLargeException(string field)
    : Exception($"The field {field} is larger than {ReportJob.MaxTextBytes / (1024 * 1024)} MiB.");

public static class JobEndpoints
{
    /// <summary>
    /// Three kinds of request carry more than the API's usual body limit: a report (PATCH of a job: three fields of up
    /// to 1 MiB, each then held to it), a run (POST /runs/: up to 10,000 tuples, form-encoded) and a function's code
    /// (POST, PUT and PATCH of /functions/). Their limit is raised before anything reads the body. A report's form also loses its NUL characters (<c>%00</c>) before ASP.NET Core's form
    /// reader, which refuses them, sees it: the spec drops them, since a refused report leaves a job running for ever.
    /// </summary>
    public static IApplicationBuilder UseMarketplaceBodies(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            var report = HttpMethods.IsPatch(request.Method) && request.Path.StartsWithSegments("/api/v1/jobs", StringComparison.OrdinalIgnoreCase);
            var run = HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/api/v1/runs", StringComparison.OrdinalIgnoreCase);
            var function = !HttpMethods.IsGet(request.Method) && !HttpMethods.IsDelete(request.Method)
                && request.Path.StartsWithSegments("/api/v1/functions", StringComparison.OrdinalIgnoreCase);
            if ((report || run || function) && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = report ? MaxReportBodyBytes : run ? MaxRunBodyBytes : MaxFunctionBodyBytes;
            if (report && request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
            {
                using var raw = new MemoryStream();
                await request.Body.CopyToAsync(raw, context.RequestAborted);
                // Latin-1 maps bytes to chars one to one: the body's bytes come back unchanged but for the NULs.
                var text = Encoding.Latin1.GetString(raw.GetBuffer(), 0, (int)raw.Length).Replace("\0", "");
                while (text.Contains("%00", StringComparison.Ordinal)) text = text.Replace("%00", "", StringComparison.Ordinal);
                var clean = Encoding.Latin1.GetBytes(text);
                request.Body = new MemoryStream(clean);
                request.ContentLength = clean.Length;
            }
            await next(context);
        });

    /// <summary>A report's body may hold three fields of 1 MiB each, form-encoded (up to three bytes a byte).</summary>
    public const long MaxReportBodyBytes = 10L * 1024 * 1024;

    /// <summary>A run's body: 10,000 tuples and more, form-encoded.</summary>
    public const long MaxRunBodyBytes = 4L * 1024 * 1024;

    /// <summary>A function's body, its code form-encoded: 2.5 MiB, Django's own limit of a request's data.</summary>
    public const long MaxFunctionBodyBytes = 5L * 512 * 1024;

    public static void MapJobs(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/v1/jobs");
        var job = jobs.MapGroup("{id:guid}");

        jobs.MapGet("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow();
            var list = await mediator.Send(new ListJobs(http.AccountId()), ct);
            return ApiResults.Ok(list.Select(j => JobResponse.From(j, now)).ToList(), ApiJson.Api.ListJobResponse);
        }).Documented("listJobs", ApiTags.Jobs, "The jobs of the caller's runs, newest first", d => d
            .Describe("A later run's jobs before an earlier run's; within a run, the later tuple first.")
            .Returns<List<JobResponse>>());

        job.MapGet("", async (Guid id, HttpContext http, IMediator mediator, IQuerySession session, TimeProvider clock,
            CancellationToken ct) => PastStates.From(http.Request) is { } past
            ? Respond(await PastStates.LoadAsync<Job>(session, id, past, j => j.AccountId == http.AccountId(), ct), http, clock)
            : Respond(await mediator.Send(new GetJob(http.AccountId(), id), ct), http, clock))
            .Documented("getJob", ApiTags.Jobs, "One job of the caller's runs, as it is or as it was", d => d
                .TimeTravel(Job.Kind, " (1 created, 2 assigned, ...)")
                .Returns<JobResponse>().ETag().Errors(StatusCodes.Status404NotFound));

        job.MapPatch("", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync(http.Request, ct);
            var fields = new ReportFields(body.JobStatus("status"), Text(body, "build_logs"), Text(body, "output"), Text(body, "error"));
            var reported = await mediator.Send(new ReportJob(id, http.AccountId(), fields, clock.GetUtcNow()), ct);
            return Respond(reported, http, clock);
        }).Documented("reportJob", ApiTags.Machine, "The machine reports on a job it holds", d => d
            .Describe("`status=2` when it starts; then `status=3` (exit code 0) or `4` with `build_logs`, `output` (the " +
                      "container's stdout) and `error` (its stderr); or `status=5` on its own timeout. Only the owner of the " +
                      "instance the job is assigned to may report (anyone else: 404). Each text field holds at most 1 MiB (413); " +
                      "NUL characters are dropped.")
            .Body<JobReportForm>().Returns<JobResponse>().Errors(StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge))
            // Anyone but the job's provider gets 404 whatever the body: a refused report must not tell them the job exists.
            .AddEndpointFilter(new PreconditionsFirst(Job.Kind, async (http, ct) =>
                await http.RequestServices.GetRequiredService<IQuerySession>()
                    .LoadAsync<Job>(Guid.Parse((string)http.Request.RouteValues["id"]!), ct) is { } j && j.IsReportableBy(http.AccountId())
                    ? j.Version
                    : null));
    }

    /// <summary>A report's text: kept as sent (not trimmed), NUL characters dropped, at most 1 MiB of UTF-8.</summary>
    private static Field<string> Text(RequestBody body, string name)
    {
        var field = body.Text(name, trim: false, dropNul: true);
        if (field.IsPresent && Encoding.UTF8.GetByteCount(field.Value) > ReportJob.MaxTextBytes) throw new TextTooLargeException(name);
        return field;
    }

    private static IResult Respond(Job job, HttpContext http, TimeProvider clock)
    {
        http.Response.SetETag(job.Version);
        return Results.Json(JobResponse.From(job, clock.GetUtcNow()), ApiJson.Api.JobResponse);
    }
}
