using System.Globalization;
using Mediator;
using Microsoft.Extensions.Options;
using Npgsql;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Billing;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Presence;
using Sharedcloud.Es.Projections;
using Sharedcloud.Es.Projections.Marketplace;
using Wolverine;
using Wolverine.Marten;

namespace Sharedcloud.Es.Api.Instances.Machine;

/// <summary>
/// A poll of the provider's machine (GET get-jobs) at <paramref name="At"/>, recorded in place: whether the machine may
/// have jobs to take, or to take again (false: certainly none), or null when the contact was not recorded (the machine
/// is offline, or the instance is unknown or someone else's): then <see cref="ComeOnline"/> decides.
/// </summary>
public sealed record RecordContact(Guid InstanceId, Guid AccountId, DateTimeOffset At) : ICommand<bool?>;

/// <summary>
/// Polls arrive every few seconds from every running machine, so the usual one is a single statement that refreshes
/// last_connection in place (no event, no stream version) and looks, through the queue's index, whether anything waits
/// for the machine. It takes no lock but its row's, so it does not wait for a writer of the instance that is deciding;
/// <see cref="LastContactGuard"/> keeps that writer from storing an older contact. It needs no session: the write path
/// and its outbox are <see cref="ComeOnlineHandler"/>'s.
/// </summary>
public sealed class RecordContactHandler(NpgsqlDataSource dataSource) : ICommandHandler<RecordContact, bool?>
{
    public async ValueTask<bool?> Handle(RecordContact command, CancellationToken ct)
    {
        await using var refresh = dataSource.CreateCommand(RefreshSql);
        refresh.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.InstanceId });
        refresh.Parameters.Add(new NpgsqlParameter<string> { TypedValue = command.At.ToString("O") });
        refresh.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.AccountId });
        await using var reader = await refresh.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) && reader.GetBoolean(0) ? reader.GetBoolean(1) : null;
    }

    private const string Schema = MartenConfiguration.Schema;

    private static readonly string ConsumerPriceFactor = Prices.ConsumerPrice(1).ToString(CultureInfo.InvariantCulture);

    // Work for the machine: jobs it holds and has not started (answered again), or free capacity and a queued job it
    // matches (Dispatch.Matches). For each installed image, the highest bid waiting for it is the first entry of the
    // queue's index read backwards: a few index pages however long the queue. (Put as "any job with a bid of at least
    // the price", PostgreSQL guesses that a third of the queue qualifies and scans the table: 60 ms at 10,000 jobs.)
    private static readonly string RefreshSql =
        $"update {Schema}.mt_doc_instancedetails d set data = jsonb_set(d.data, '{{last_connection}}', to_jsonb($2::text)) " +
        "where d.id = $1 and d.account__id = $3 returning (d.data ->> 'is_online')::boolean, " +
        "coalesce((d.data ->> 'num_assigned_jobs')::int, 0) > 0 " +
        $"or ((d.data ->> 'status')::int = {(int)InstanceStatus.Available} " +
        "and coalesce((d.data ->> 'num_assigned_jobs')::int, 0) + coalesce((d.data ->> 'num_running_jobs')::int, 0) " +
        "< (d.data ->> 'max_num_parallel_jobs')::int " +
        "and exists (select 1 from jsonb_array_elements_text(d.data -> 'downloaded_images') image(path) " +
        $"where (select max(j.bid_price) from {MarketplaceSchema.JobTable} j where j.status = 1 and j.instance_id is null " +
        "and j.registry_path = image.path " +
        $"and j.base_gpu_cuda_cores <= coalesce((select (g.data ->> 'cuda_cores')::int from {Schema}.mt_doc_gpudocument g " +
        "where g.id = (d.data ->> 'gpu_id')::uuid), 0)) " +
        $">= (d.data ->> 'ask_price')::numeric * {ConsumerPriceFactor}))";
}

/// <summary>
/// A poll that was not recorded in place (<see cref="RecordContact"/>): on the write path, 404 for an unknown or foreign
/// instance; for an offline machine, instance_came_online and its first silence check, scheduled in the same transaction
/// (Wolverine's outbox); the contact alone when another poll brought it online meanwhile. True: the machine may have jobs.
/// </summary>
public sealed record ComeOnline(Guid InstanceId, Guid AccountId, DateTimeOffset At) : ICommand<bool>;

public sealed class ComeOnlineHandler(StreamWrites writes, IMartenOutbox outbox, IOptions<PresenceOptions> presence)
    : ICommandHandler<ComeOnline, bool>
{
    public async ValueTask<bool> Handle(ComeOnline command, CancellationToken ct)
    {
        await writes.DecideAsync<Instance>(command.InstanceId, async (current, session) =>
        {
            var state = Instance.Owned(current, command.AccountId, expected: null);
            var events = Presence.Contact(state, command.At);
            if (events.Count == 0)
                session.QueueSqlCommand(RefreshOnlySql, command.At.ToString("O"), command.InstanceId);
            else
            {
                outbox.Enroll(session);
                await outbox.ScheduleAsync(new CheckSilence(command.InstanceId), command.At + presence.Value.OfflineAfter);
            }
            return events;
        }, ct);
        return true;
    }

    private const string RefreshOnlySql =
        $"update {MartenConfiguration.Schema}.mt_doc_instancedetails set data = jsonb_set(data, '{{last_connection}}', to_jsonb(?::text)) where id = ?";
}

/// <summary>The machine's poll.</summary>
public static class PollEndpoint
{
    public static void MapPoll(this RouteGroupBuilder instance) =>
        instance.MapGet("get-jobs", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var account = http.AccountId();
            var at = clock.GetUtcNow();
            var mayHaveWork = await mediator.Send(new RecordContact(id, account, at), ct) ?? await mediator.Send(new ComeOnline(id, account, at), ct);
            if (!mayHaveWork) return Results.Text("[]", "application/json");
            var jobs = await mediator.Send(new DispatchJobs(id, account), ct);
            return ApiResults.Ok(jobs.ToList(), ApiJson.Api.ListMachineJob);
        }).Documented("getJobs", ApiTags.Machine, "The machine's poll: its jobs", d => d
            .Describe("The provider's machine calls this every 5 seconds: it records the contact (`last_connection`; the first " +
                      "poll after a silence brings the instance online) and hands the instance the queued jobs it matches " +
                      "(AVAILABLE, the job's image installed, a bid of at least the consumer price, the GPU at least the run's " +
                      "base GPU), oldest first, up to its free capacity, together with the jobs it was handed before and has " +
                      "not started: at most 100 jobs a poll by default (`Dispatch:MaxJobsPerPoll`), the unstarted ones first.")
            .Returns<List<MachineJob>>(description: "The jobs to run: each one's container image, whether it needs a GPU, " +
                                                    "and `wrapped_code`, the program to run as the container's `CODE`.")
            .Errors(StatusCodes.Status404NotFound));
}
