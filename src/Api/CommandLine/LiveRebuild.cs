using System.Data;
using System.Reflection;
using JasperFx.Events.Projections;
using Marten;
using Npgsql;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections;
using static Sharedcloud.Es.Api.CommandLine.ReadModelVerification;

namespace Sharedcloud.Es.Api.CommandLine;

/// <summary>
/// <c>projections rebuild</c> beside live traffic: the read models are rebuilt aside and swapped in, so readers keep
/// the current ones and no write is lost.
/// <list type="number">
/// <item>Build: the events up to sequence C (every one of them committed) are copied into a scratch schema that Marten creates
/// with the live schema's DDL, and the projections are rebuilt there (Marten's daemon, this service's one-pass fold).
/// The live tables are not touched.</item>
/// <item>Catch up (inline read models): the streams whose live document has another revision than the rebuilt one were
/// written since C; they are folded again from the live events into the scratch table, until few are left.</item>
/// <item>Swap, per table, in one short transaction: the live table is locked ACCESS EXCLUSIVE (writers and readers of
/// it wait; the lock is given up after <see cref="SwapLockTimeout"/> and tried again), the last streams are folded
/// again, the fields written in place without events (a machine's last contact, its job counters) are carried over
/// from the live rows, the live table moves out of the schema and the rebuilt one in, with the same name, indexes
/// and constraints. For an async read model the projection's progress is set to C in the same transaction: its
/// agent, wherever it runs, fails its next progress write, writes nothing, and is started again from C
/// (<see cref="Analytics.ProjectionWatchdog"/>).</item>
/// </list>
/// The scratch schema and the retired tables are dropped at the end, whatever happens.
/// </summary>
public sealed class LiveRebuild(IConfiguration configuration, IDocumentStore live)
{
    private const string Live = MartenConfiguration.Schema;
    public static readonly TimeSpan SwapLockTimeout = TimeSpan.FromMilliseconds(500);
    private const int SwapAttempts = 20;
    private const int CatchUpRounds = 5;
    private const int FewEnough = 100;

    public async Task RunAsync(IReadOnlyList<string> requested, CancellationToken ct)
    {
        var connectionString = configuration.GetConnectionString("Postgres")!;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var scratch = $"{Live}_rebuild_{suffix}";
        var retired = $"{Live}_retired_{suffix}";
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            using var store = ScratchStore(connectionString, scratch);
            var projections = requested.Count > 0 ? requested : ProjectionRebuild.StoredProjections(store);
            var unknown = projections.Except(ProjectionRebuild.StoredProjections(store)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"no stored projection is named {string.Join(", ", unknown)} " +
                                            $"(there are {string.Join(", ", ProjectionRebuild.StoredProjections(store))})");
            var models = ReadModels(store).Where(m => projections.Contains(m.Projection)).ToList();

            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            var ceiling = await CopyEventsAsync(dataSource, scratch, ct);
            await Console.Error.WriteLineAsync($"copied the events up to {ceiling:N0} into the scratch schema {scratch}; rebuilding there");
            await ProjectionRebuild.RebuildAsync(store, projections, ct);

            foreach (var model in models.Where(m => m.Lifecycle == ProjectionLifecycle.Inline))
            {
                for (var round = 0; round < CatchUpRounds; round++)
                {
                    await using var connection = await dataSource.OpenConnectionAsync(ct);
                    var caughtUp = await CatchUpAsync(connection, store, scratch, model, ct);
                    if (caughtUp < FewEnough) break;
                }
            }

            await using (var connection = await dataSource.OpenConnectionAsync(ct))
                await ExecuteAsync(connection, $"create schema {retired}", ct);
            foreach (var model in models)
            {
                var waited = await SwapAsync(dataSource, store, scratch, retired, model, ceiling, ct);
                await Console.Error.WriteLineAsync(
                    $"{Live}.{model.Table}: rebuilt ({model.Projection}) and swapped in (the swap held its lock for {waited.TotalMilliseconds:0} ms)");
            }
            Console.Out.WriteLine($"rebuilt {string.Join(", ", projections)} beside the live service, from {ceiling:N0} events and the writes since.");
        }
        finally
        {
            await using var drop = dataSource.CreateCommand($"drop schema if exists {scratch} cascade; drop schema if exists {retired} cascade");
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Copies the event log up to a sequence number C below which every event has committed; returns C. A sequence
    /// number is taken when an event is appended, before its transaction commits, so the highest committed one may have
    /// lower ones still in flight: a share lock on the events, held for a moment, waits for the appends in flight and
    /// reads C while none is (new appends wait behind it meanwhile). The events above C are the catch-up's: the
    /// inline read models' through the revisions, the async ones' through their progress, set to C.
    /// </summary>
    private static async Task<long> CopyEventsAsync(NpgsqlDataSource dataSource, string scratch, CancellationToken ct)
    {
        var ceiling = await UnderLockAsync(dataSource, $"{Live}.mt_events", "share", async connection =>
        {
            await using var max = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {Live}.mt_events", connection);
            return (long)(await max.ExecuteScalarAsync(ct))!;
        }, ct);

        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        await using (var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct))
        {
            var streams = await SharedColumnsAsync(connection, scratch, "mt_streams", ct);
            await ExecuteAsync(connection, $"insert into {scratch}.mt_streams ({streams}) select {streams} from {Live}.mt_streams", ct);
            var events = await SharedColumnsAsync(connection, scratch, "mt_events", ct);
            await ExecuteAsync(connection,
                $"insert into {scratch}.mt_events ({events}) select {events} from {Live}.mt_events where seq_id <= {ceiling}", ct);
            if (ceiling > 0) await ExecuteAsync(connection, $"select setval('{scratch}.mt_events_sequence', {ceiling})", ct);
            await snapshot.CommitAsync(ct);
        }
        return ceiling;
    }

    /// <summary>
    /// Folds again, into the scratch table, the streams whose live document has another revision than the rebuilt
    /// one (written since the snapshot, or deleted); returns how many there were. Inline documents are written in their
    /// events' transaction, so the live revision is the stream's version.
    /// </summary>
    private async Task<int> CatchUpAsync(NpgsqlConnection connection, DocumentStore scratchStore, string scratch, ReadModel model,
        CancellationToken ct)
    {
        var ids = new List<Guid>();
        await using (var delta = new NpgsqlCommand(
            $"select coalesce(l.id, s.id) from {Live}.{model.Table} l full join {scratch}.{model.Table} s on s.id = l.id " +
            "where l.mt_version is distinct from s.mt_version", connection) { CommandTimeout = 0 })
        await using (var reader = await delta.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        if (ids.Count == 0) return 0;
        var refold = typeof(LiveRebuild).GetMethod(nameof(RefoldAsync), BindingFlags.NonPublic | BindingFlags.Instance)!
            .MakeGenericMethod(model.DocumentType);
        await (Task)refold.Invoke(this, [scratchStore, $"{scratch}.{model.Table}", ids, ct])!;
        return ids.Count;
    }

    /// <summary>
    /// Folds the streams' events (one query for all of them) with the state's own fold, and writes the states into the
    /// scratch table with their revisions (the stream's version); a stream whose state is gone loses its document.
    /// </summary>
    private async Task RefoldAsync<TState>(DocumentStore scratchStore, string table, List<Guid> ids, CancellationToken ct)
        where TState : class, IEvolving<TState>
    {
        await using var reads = live.QuerySession();
        var events = await reads.Events.QueryAllRawEvents()
            .Where(e => ids.Contains(e.StreamId))
            .OrderBy(e => e.Sequence)
            .ToListAsync(ct);
        var byStream = events.ToLookup(e => e.StreamId);
        await using var writes = scratchStore.LightweightSession();
        foreach (var id in ids)
        {
            TState? state = null;
            long version = 0;
            foreach (var e in byStream[id])
            {
                state = TState.Evolve(state, e.Data, e.Timestamp);
                version = e.Version;
            }
            if (state is null)
            {
                writes.Delete<TState>(id);
                continue;
            }
            writes.Store(state);
            writes.QueueSqlCommand($"update {table} set mt_version = ? where id = ?", version, id);
        }
        await writes.SaveChangesAsync(ct);
    }

    /// <returns>How long the swap's transaction held the live table's lock.</returns>
    private async Task<TimeSpan> SwapAsync(NpgsqlDataSource dataSource, DocumentStore scratchStore, string scratch, string retired,
        ReadModel model, long ceiling, CancellationToken ct)
    {
        // The planner's statistics for the new table, taken before the lock (the rows the lock's catch-up adds are few).
        await using (var analyze = dataSource.CreateCommand($"analyze {scratch}.{model.Table}"))
        {
            analyze.CommandTimeout = 0;
            await analyze.ExecuteNonQueryAsync(ct);
        }
        return await UnderLockAsync(dataSource, $"{Live}.{model.Table}", "access exclusive", async connection =>
        {
            var locked = System.Diagnostics.Stopwatch.StartNew();
            if (model.Lifecycle == ProjectionLifecycle.Inline)
            {
                // Every writer of the table has committed or waits behind the lock: the last streams are exact.
                await CatchUpAsync(connection, scratchStore, scratch, model, ct);
                if (model.Unversioned.Length > 0)
                {
                    var carried = string.Join(", ", model.Unversioned.Select(f =>
                        $"'{f}', coalesce(l.data -> '{f}', s.data -> '{f}')"));
                    await ExecuteAsync(connection,
                        $"update {scratch}.{model.Table} s set data = s.data || jsonb_build_object({carried}) " +
                        $"from {Live}.{model.Table} l where l.id = s.id", ct);
                }
            }
            var triggers = await TriggersAsync(connection, $"{Live}.{model.Table}", ct);
            await ExecuteAsync(connection, $"alter table {Live}.{model.Table} set schema {retired}", ct);
            await ExecuteAsync(connection, $"alter table {scratch}.{model.Table} set schema {Live}", ct);
            foreach (var trigger in triggers) await ExecuteAsync(connection, trigger, ct);
            if (model.Lifecycle == ProjectionLifecycle.Async)
            {
                await using var progress = new NpgsqlCommand(
                    $"update {Live}.mt_event_progression set last_seq_id = $1, last_updated = transaction_timestamp() " +
                    "where name like $2", connection);
                progress.Parameters.AddWithValue(ceiling);
                progress.Parameters.AddWithValue(model.Projection + ":%");
                if (await progress.ExecuteNonQueryAsync(ct) == 0)
                    await ExecuteAsync(connection,
                        $"insert into {Live}.mt_event_progression (name, last_seq_id, last_updated) " +
                        $"values ('{model.Projection.Replace("'", "''")}:All', {ceiling}, transaction_timestamp())", ct);
            }
            return locked.Elapsed;
        }, ct);
    }

    /// <summary>
    /// The definitions of the triggers the service put on <paramref name="table"/> (Marten creates none): they name the
    /// table by its schema and name, so run after the swap they are the new table's.
    /// </summary>
    private static async Task<List<string>> TriggersAsync(NpgsqlConnection connection, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select pg_get_triggerdef(oid) from pg_trigger where tgrelid = $1::regclass and not tgisinternal order by tgname", connection);
        command.Parameters.AddWithValue(table);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var triggers = new List<string>();
        while (await reader.ReadAsync(ct)) triggers.Add(reader.GetString(0));
        return triggers;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction that first locks <paramref name="table"/> in <paramref name="mode"/>,
    /// waiting at most <see cref="SwapLockTimeout"/> for it (those who wait behind the lock wait no longer), and starts
    /// over after a pause when it was not granted, up to <see cref="SwapAttempts"/> times.
    /// </summary>
    private static async Task<T> UnderLockAsync<T>(NpgsqlDataSource dataSource, string table, string mode,
        Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            try
            {
                await ExecuteAsync(connection, $"set local lock_timeout = {(int)SwapLockTimeout.TotalMilliseconds}", ct);
                await ExecuteAsync(connection, $"lock table {table} in {mode} mode", ct);
                var result = await work(connection);
                await transaction.CommitAsync(ct);
                return result;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable && attempt < SwapAttempts)
            {
                await transaction.RollbackAsync(ct);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
            }
        }
    }
}
