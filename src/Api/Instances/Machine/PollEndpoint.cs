using Mediator;
using Microsoft.Extensions.Options;
using Npgsql;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Presence;
using Sharedcloud.Es.Projections;
using Wolverine;
using Wolverine.Marten;

namespace Sharedcloud.Es.Api.Instances.Machine;

/// <summary>A poll of the provider's machine (GET get-jobs) at <paramref name="At"/>.</summary>
public sealed record RecordContact(Guid InstanceId, Guid AccountId, DateTimeOffset At) : ICommand;

public sealed class RecordContactHandler(
    StreamWrites writes, NpgsqlDataSource dataSource, IMartenOutbox outbox, IOptions<PresenceOptions> presence)
    : ICommandHandler<RecordContact>
{
    /// <summary>
    /// Polls arrive every few seconds from every running machine, so the usual one is a single statement that
    /// refreshes last_connection in place: no event, no stream version. It takes a share lock on the stream row, so it
    /// waits for (and never races) a writer of the instance, whose inline document would otherwise write back an older
    /// last_connection. Only a poll that finds the machine offline takes the write path: it appends
    /// instance_came_online and schedules the first silence check in the same transaction (Wolverine's outbox).
    /// </summary>
    public async ValueTask<Unit> Handle(RecordContact command, CancellationToken ct)
    {
        await using (var refresh = dataSource.CreateCommand(RefreshSql))
        {
            refresh.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.InstanceId });
            refresh.Parameters.Add(new NpgsqlParameter<string> { TypedValue = command.At.ToString("O") });
            refresh.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.AccountId });
            if (await refresh.ExecuteScalarAsync(ct) is true) return Unit.Value;
        }

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
        return Unit.Value;
    }

    private const string Schema = MartenConfiguration.Schema;

    private const string RefreshSql =
        $"with s as (select id from {Schema}.mt_streams where id = $1 for share) " +
        $"update {Schema}.mt_doc_instancedetails d set data = jsonb_set(d.data, '{{last_connection}}', to_jsonb($2::text)) " +
        "from s where d.id = s.id and d.account__id = $3 returning (d.data ->> 'is_online')::boolean";

    private const string RefreshOnlySql =
        $"update {Schema}.mt_doc_instancedetails set data = jsonb_set(data, '{{last_connection}}', to_jsonb(?::text)) where id = ?";
}

/// <summary>The machine's poll.</summary>
public static class PollEndpoint
{
    public static void MapPoll(this RouteGroupBuilder instance) =>
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
}
