using Marten;
using Mediator;
using Npgsql;
using Microsoft.Extensions.Options;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Installing;
using Sharedcloud.Es.Domain.Instances.Operating;
using Sharedcloud.Es.Projections;
using Wolverine;
using Wolverine.Marten;

namespace Sharedcloud.Es.Api.Instances.Machine;

/// <summary>A poll of the provider's machine (GET get-jobs) at <paramref name="At"/>.</summary>
public sealed record RecordContact(Guid InstanceId, Guid AccountId, DateTimeOffset At) : ICommand;

public sealed class MachineHandlers(
    ISessionFactory sessions, NpgsqlDataSource dataSource, IMartenOutbox outbox, IOptions<PresenceOptions> presence) :
    ICommandHandler<StartInstance, Guid>,
    ICommandHandler<StopInstance, Guid>,
    ICommandHandler<AddImage, Guid>,
    ICommandHandler<DeleteImage, Guid>,
    ICommandHandler<RecordContact>
{
    public ValueTask<Guid> Handle(StartInstance command, CancellationToken ct) =>
        Append(command.InstanceId, (state, version) => StartInstance.Decide(command, state, version), ct);

    public ValueTask<Guid> Handle(StopInstance command, CancellationToken ct) =>
        Append(command.InstanceId, (state, version) => StopInstance.Decide(command, state, version), ct);

    public ValueTask<Guid> Handle(AddImage command, CancellationToken ct) =>
        Append(command.InstanceId, (state, version) => AddImage.Decide(command, state, version), ct);

    public ValueTask<Guid> Handle(DeleteImage command, CancellationToken ct) =>
        Append(command.InstanceId, (state, version) => DeleteImage.Decide(command, state, version), ct);

    private async ValueTask<Guid> Append(Guid id, Func<Instance?, long, IReadOnlyList<object>> decide, CancellationToken ct) =>
        await Retry.OnConflict(sessions, async writer =>
        {
            var stream = await writer.Events.FetchForExclusiveWriting<Instance>(id, ct);
            var events = decide(stream.Aggregate, stream.StartingVersion ?? 0);
            if (events.Count == 0) return id;
            stream.AppendMany(events);
            await writer.SaveChangesAsync(ct);
            return id;
        }, ct);

    /// <summary>
    /// Polls arrive every few seconds from every running machine, so the usual one is a single
    /// statement that refreshes last_connection in place: no event, no stream version. It takes a
    /// share lock on the stream row, so it waits for (and never races) a writer of the instance,
    /// whose inline projection would otherwise write back an older last_connection. Only a poll
    /// that finds the machine offline goes the long way: it appends instance_came_online and
    /// schedules the first silence check in the same transaction (Wolverine's outbox).
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

        return await Retry.OnConflict(sessions, async writer =>
        {
            var stream = await writer.Events.FetchForExclusiveWriting<Instance>(command.InstanceId, ct);
            if (stream.Aggregate is not { } state || !state.IsVisibleTo(command.AccountId)) throw new NotFoundException();
            var events = Domain.Instances.Presence.Presence.Contact(state, command.At);
            if (events.Count == 0)
                writer.QueueSqlCommand(RefreshOnlySql, command.At.ToString("O"), command.InstanceId);
            else
            {
                stream.AppendMany(events);
                outbox.Enroll(writer);
                await outbox.ScheduleAsync(new CheckSilence(command.InstanceId), command.At + presence.Value.OfflineAfter);
            }
            await writer.SaveChangesAsync(ct);
            return Unit.Value;
        }, ct);
    }

    private const string Schema = MartenConfiguration.Schema;

    private const string RefreshSql =
        $"with s as (select id from {Schema}.mt_streams where id = $1 for share) " +
        $"update {Schema}.mt_doc_instancedetails d set data = jsonb_set(d.data, '{{last_connection}}', to_jsonb($2::text)) " +
        "from s where d.id = s.id and d.account__id = $3 returning (d.data ->> 'is_online')::boolean";

    private const string RefreshOnlySql =
        $"update {Schema}.mt_doc_instancedetails set data = jsonb_set(data, '{{last_connection}}', to_jsonb(?::text)) where id = ?";
}
