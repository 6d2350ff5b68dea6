using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Auditing;

/// <summary>One stored event as the audit API shows it: what happened, when, by whom, why.</summary>
public sealed record EventRecord(
    long Sequence, Guid StreamId, long Version, string Type, DateTimeOffset Timestamp,
    string? UserName, string? ActorId, string? CorrelationId, string Data)
{
    /// <summary>The stream kind ("instance", "account", "function", "run", "job"): the stored name's first word.</summary>
    public string Stream => Type[..Math.Max(0, Type.IndexOf('_'))];
}

/// <summary>A page of events and whether more follow it.</summary>
public sealed record EventPage(IReadOnlyList<EventRecord> Events, bool HasMore);

/// <summary>
/// Reads the event log straight from Marten's mt_events table: the stored JSON is passed through,
/// and paging uses the (stream_id, version) key and the owner index, never OFFSET.
/// </summary>
public sealed class EventLog(NpgsqlDataSource dataSource)
{
    private const string Schema = MartenConfiguration.Schema;
    private const string Columns =
        "seq_id, stream_id, version, type, timestamp, user_name, headers ->> 'actor_id', correlation_id, data::text";

    /// <summary>Index for the audit feed: an account's events, newest first (see <see cref="AuditIndex"/>).</summary>
    public const string OwnerIndexSql =
        $"create index if not exists {MartenConfiguration.OwnerIndexName} on {Schema}.mt_events ((headers ->> '{RequestAudit.OwnerIdHeader}'), seq_id desc)";

    /// <summary>Index for the feed filtered by event type: an account's events of one type, newest first.</summary>
    public const string OwnerTypeIndexSql =
        $"create index if not exists {MartenConfiguration.OwnerTypeIndexName} on {Schema}.mt_events ((headers ->> '{RequestAudit.OwnerIdHeader}'), type, seq_id desc)";

    /// <summary>Index for the audit feed: the events an account is a party to (a job's, appended by the provider's side).</summary>
    public const string PartyIndexSql =
        $"create index if not exists {MartenConfiguration.PartyIndexName} on {Schema}.mt_events ((headers ->> '{RequestAudit.PartyIdHeader}'), seq_id desc) " +
        $"where (headers ->> '{RequestAudit.PartyIdHeader}') is not null";

    /// <summary>
    /// The account a stream belongs to, from its first event (of type <paramref name="creation"/>: instance_registered,
    /// function_created, ...); null if there is no such stream of that kind.
    /// </summary>
    public async Task<Guid?> StreamOwnerAsync(Guid streamId, string creation, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"select (data ->> 'account_id')::uuid from {Schema}.mt_events where stream_id = $1 and version = 1 and type = $2");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = streamId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = creation });
        return await command.ExecuteScalarAsync(ct) is Guid owner ? owner : null;
    }

    public async Task<EventPage> StreamAsync(Guid streamId, long sinceVersion, int limit, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"select {Columns} from {Schema}.mt_events where stream_id = $1 and version > $2 order by version limit $3");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = streamId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sinceVersion });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit + 1 });
        return await ReadPageAsync(command, limit, ct);
    }

    public sealed record FeedFilter(
        Guid Owner, long? Before, Guid? Stream, IReadOnlyList<string> Types, DateTimeOffset? Since, DateTimeOffset? Until, int Limit);

    /// <summary>
    /// An account's events across all its streams, newest first. Each filter has the shape whose cost
    /// is about the page's own rows, however long the history and however rare the events asked for:
    /// <list type="bullet">
    /// <item>one instance: that stream's (stream_id, version) key, backwards; within a stream version
    /// order is seq_id order, so the page and its cursor are the same;</item>
    /// <item>event types: for each type, at most a page newest first (the owner/type index for a
    /// rare type), merged; one <c>type = any(...)</c> scan would read the account's events until it
    /// has found a page of the rare ones;</item>
    /// <item>otherwise the owner index, or the seq_id key when the account holds much of the table.</item>
    /// </list>
    /// </summary>
    public async Task<EventPage> FeedAsync(FeedFilter filter, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand();
        string Parameter(NpgsqlParameter parameter)
        {
            command.Parameters.Add(parameter);
            return "$" + command.Parameters.Count;
        }

        var owner = Parameter(new NpgsqlParameter<string> { TypedValue = filter.Owner.ToString() });
        var where = new System.Text.StringBuilder("{who}");
        if (filter.Before is { } before)
            where.Append(" and seq_id < ").Append(Parameter(new NpgsqlParameter<long> { TypedValue = before }));
        if (filter.Stream is { } stream)
            where.Append(" and stream_id = ").Append(Parameter(new NpgsqlParameter<Guid> { TypedValue = stream }));
        var types = filter.Types.Distinct()
            .Select(type => Parameter(new NpgsqlParameter<string> { TypedValue = type })).ToList();
        if (filter.Since is { } since)
            where.Append(" and timestamp >= ").Append(Parameter(
                new NpgsqlParameter<DateTime> { TypedValue = since.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz }));
        if (filter.Until is { } until)
            where.Append(" and timestamp < ").Append(Parameter(
                new NpgsqlParameter<DateTime> { TypedValue = until.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz }));
        var limit = Parameter(new NpgsqlParameter<int> { TypedValue = filter.Limit + 1 });

        var select = $"select {Columns} from {Schema}.mt_events where {where}";
        var ofOwner = Statement(select.Replace("{who}", $"headers ->> '{RequestAudit.OwnerIdHeader}' = {owner}"));
        // The events the account is a party to and does not own (its jobs' assignments and reports, its charges).
        var ofParty = Statement(select.Replace("{who}",
            $"headers ->> '{RequestAudit.PartyIdHeader}' = {owner} and (headers ->> '{RequestAudit.PartyIdHeader}') is not null " +
            $"and headers ->> '{RequestAudit.OwnerIdHeader}' is distinct from {owner}"));
        command.CommandText = $"select * from (({ofOwner}) union all ({ofParty})) f order by seq_id desc limit {limit}";
        return await ReadPageAsync(command, filter.Limit, ct);

        string Statement(string select) => filter.Stream is not null
            ? (types.Count == 0 ? select : $"{select} and type in ({string.Join(", ", types)})") + $" order by version desc limit {limit}"
            : types.Count == 0
                ? $"{select} order by seq_id desc limit {limit}"
                : "select * from (" +
                  string.Join(" union all ", types.Select(type => $"({select} and type = {type} order by seq_id desc limit {limit})")) +
                  $") e order by seq_id desc limit {limit}";
    }

    private static async Task<EventPage> ReadPageAsync(NpgsqlCommand command, int limit, CancellationToken ct)
    {
        var events = new List<EventRecord>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (events.Count == limit) return new EventPage(events, HasMore: true);
            events.Add(new EventRecord(
                Sequence: reader.GetInt64(0),
                StreamId: reader.GetGuid(1),
                Version: reader.GetInt64(2),
                Type: reader.GetString(3),
                Timestamp: reader.GetFieldValue<DateTimeOffset>(4),
                UserName: reader.IsDBNull(5) ? null : reader.GetString(5),
                ActorId: reader.IsDBNull(6) ? null : reader.GetString(6),
                CorrelationId: reader.IsDBNull(7) ? null : reader.GetString(7),
                Data: reader.GetString(8)));
        }
        return new EventPage(events, HasMore: false);
    }

    /// <summary>Writes events as the audit API's JSON array. <paramref name="withStream"/> adds stream and stream_id.</summary>
    public static void Write(Utf8JsonWriter json, IReadOnlyList<EventRecord> events, bool withStream)
    {
        json.WriteStartArray();
        foreach (var e in events)
        {
            json.WriteStartObject();
            if (withStream)
            {
                json.WriteString("stream", e.Stream);
                json.WriteString("stream_id", e.StreamId);
            }
            json.WriteNumber("version", e.Version);
            json.WriteString("type", e.Type);
            json.WriteString("timestamp", Infrastructure.ApiTimestamp.ToText(e.Timestamp));
            json.WriteString("recorded_at", e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'",
                System.Globalization.CultureInfo.InvariantCulture));
            if (e.ActorId is { } actorId && e.UserName is { } username && e.UserName != RequestAudit.SystemActor)
            {
                json.WriteStartObject("actor");
                json.WriteString("uuid", actorId);
                json.WriteString("username", username);
                json.WriteEndObject();
            }
            else json.WriteNull("actor");
            if (e.CorrelationId is null) json.WriteNull("correlation_id");
            else json.WriteString("correlation_id", e.CorrelationId);
            json.WritePropertyName("data");
            WriteData(json, e);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>The event's own fields, without the id of the stream it is on (the item already says it).</summary>
    private static void WriteData(Utf8JsonWriter json, EventRecord e)
    {
        var streamKey = e.Stream + "_id";
        using var data = JsonDocument.Parse(e.Data);
        json.WriteStartObject();
        foreach (var property in data.RootElement.EnumerateObject())
            if (property.Name != streamKey) property.WriteTo(json);
        json.WriteEndObject();
    }
}

/// <summary>
/// The audit feed's indexes on mt_events, which Marten does not manage: created at start-up, after
/// Marten has migrated its own tables. Processes starting together take turns (an advisory lock for the
/// transaction): two <c>create index if not exists</c> at once collide in the catalog.
/// </summary>
public sealed class AuditIndex : Marten.Schema.IInitialData
{
    private const long MigrationLock = 0x5341_7564_6974; // "SAudit"

    public async Task Populate(Marten.IDocumentStore store, CancellationToken cancellation)
    {
        await using var session = store.LightweightSession();
        session.QueueSqlCommand($"select pg_advisory_xact_lock({MigrationLock})");
        session.QueueSqlCommand(EventLog.OwnerIndexSql);
        session.QueueSqlCommand(EventLog.OwnerTypeIndexSql);
        session.QueueSqlCommand(EventLog.PartyIndexSql);
        await session.SaveChangesAsync(cancellation);
    }
}
