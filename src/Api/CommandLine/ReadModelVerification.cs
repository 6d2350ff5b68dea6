using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using JasperFx.Events.Projections;
using Marten;
using Npgsql;
using Sharedcloud.Es.Projections;
using Sharedcloud.Es.Projections.States;

namespace Sharedcloud.Es.Api.CommandLine;

/// <summary>
/// <c>events verify</c>: the integrity check after an incident. Copies the event log into a scratch
/// schema, rebuilds there every stored projection that <see cref="MartenConfiguration"/> registers
/// (inline and async alike) with Marten's own daemon, and compares each read model with the live
/// one, document by document. The copy of the events and of the live read models is taken in one
/// snapshot, so writes that land meanwhile cannot show up as differences. The scratch schema is
/// dropped at the end, whatever happens.
/// </summary>
public sealed class ReadModelVerification(IConfiguration configuration)
{
    private const string Live = MartenConfiguration.Schema;
    private const int Shown = 50;

    internal sealed record ReadModel(string Projection, ProjectionLifecycle Lifecycle, Type DocumentType, string Table, string[] Unversioned)
    {
        public string Snapshot => "live_" + Table;
    }

    public async Task<bool> RunAsync(CancellationToken ct)
    {
        var connectionString = configuration.GetConnectionString("Postgres")!;
        var scratch = $"{Live}_verify_{Guid.NewGuid():N}"[..(Live.Length + 16)];
        var clock = Stopwatch.StartNew();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            using var store = ScratchStore(connectionString, scratch);
            var models = ReadModels(store);
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            var (events, lags) = await CopySnapshotAsync(dataSource, scratch, models, ct);
            await Console.Error.WriteLineAsync($"copied {events:N0} events and {models.Count} read models into the scratch schema {scratch}");
            foreach (var lag in lags) await Console.Error.WriteLineAsync(lag);

            await ProjectionRebuild.RebuildAllAsync(store, ct);

            var differences = 0L;
            var differing = 0;
            foreach (var model in models)
            {
                var found = await CompareAsync(dataSource, scratch, model, ct);
                differences += found;
                if (found > 0) differing++;
            }
            var seconds = clock.Elapsed.TotalSeconds;
            Console.Out.WriteLine(differences == 0
                ? $"verify: every read model ({models.Count}) equals its rebuild from {events:N0} events ({seconds:0.0} s)."
                : $"verify: {differences:N0} difference{(differences == 1 ? "" : "s")} in {differing} of {models.Count} read models " +
                  $"against their rebuild from {events:N0} events ({seconds:0.0} s).");
            return differences == 0;
        }
        finally
        {
            await using var drop = dataSource.CreateCommand($"drop schema if exists {scratch} cascade");
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A store of the service's configuration in a scratch schema. Its projections are run by the command that built it
    /// (ExternallyManaged: without that, Marten prints on stdout, the commands' data, that no daemon will run them).
    /// </summary>
    internal static DocumentStore ScratchStore(string connectionString, string schema) => DocumentStore.For(opts =>
    {
        MartenConfiguration.Configure(opts, connectionString, schema: schema);
        opts.Projections.AsyncMode = JasperFx.Events.Daemon.DaemonMode.ExternallyManaged;
    });

    /// <summary>The documents that stored projections write (not credentials, catalogs or idempotency records).</summary>
    internal static List<ReadModel> ReadModels(DocumentStore store) =>
        store.Options.Projections.All
            .Where(p => p.Lifecycle != ProjectionLifecycle.Live)
            .SelectMany(p => p.PublishedTypes().Select(type => new ReadModel(
                p.Name, p.Lifecycle, type,
                ((IReadOnlyStoreOptions)store.Options).FindOrResolveDocumentType(type).TableName.Name,
                (p as IUnversionedFields)?.UnversionedFields.ToArray() ?? [])))
            .ToList();

    private static async Task<(long Events, List<string> Lags)> CopySnapshotAsync(
        NpgsqlDataSource dataSource, string scratch, List<ReadModel> models, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        foreach (var table in new[] { "mt_streams", "mt_events" })
        {
            var columns = await SharedColumnsAsync(connection, scratch, table, ct);
            await ExecuteAsync(connection, $"insert into {scratch}.{table} ({columns}) select {columns} from {Live}.{table}", ct);
        }
        foreach (var model in models)
            await ExecuteAsync(connection, $"create table {scratch}.{model.Snapshot} as select id, data from {Live}.{model.Table}", ct);

        long events, highest;
        await using (var max = new NpgsqlCommand($"select count(*), coalesce(max(seq_id), 0) from {scratch}.mt_events", connection))
        await using (var reader = await max.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (events, highest) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        if (highest > 0) await ExecuteAsync(connection, $"select setval('{scratch}.mt_events_sequence', {highest})", ct);

        // An async projection lags behind the events by design; say so rather than let its lag pass for damage.
        var lags = new List<string>();
        foreach (var model in models.Where(m => m.Lifecycle == ProjectionLifecycle.Async).DistinctBy(m => m.Projection))
        {
            await using var progress = new NpgsqlCommand(
                $"select coalesce(min(last_seq_id), 0) from {Live}.mt_event_progression where name like $1", connection);
            progress.Parameters.AddWithValue(model.Projection + ":%");
            var reached = (long)(await progress.ExecuteScalarAsync(ct))!;
            if (reached < highest)
                lags.Add($"note: the async projection {model.Projection} had reached event {reached:N0} of {highest:N0}; " +
                         "its differences may be events it had not processed yet.");
        }
        await snapshot.CommitAsync(ct);
        return (events, lags);
    }

    /// <summary>The columns both schemas' tables have (the live one may predate a Marten upgrade).</summary>
    internal static async Task<string> SharedColumnsAsync(NpgsqlConnection connection, string scratch, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select string_agg(quote_ident(s.column_name), ', ' order by s.ordinal_position) from information_schema.columns s " +
            "join information_schema.columns l on l.table_schema = $2 and l.table_name = s.table_name and l.column_name = s.column_name " +
            "where s.table_schema = $1 and s.table_name = $3", connection);
        command.Parameters.AddWithValue(scratch);
        command.Parameters.AddWithValue(Live);
        command.Parameters.AddWithValue(table);
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <returns>How many documents differ.</returns>
    private static async Task<long> CompareAsync(NpgsqlDataSource dataSource, string scratch, ReadModel model, CancellationToken ct)
    {
        var live = $"{scratch}.{model.Snapshot}";
        var rebuilt = $"{scratch}.{model.Table}";
        var ignored = model.Unversioned.Length == 0
            ? "'{}'::text[]"
            : "array[" + string.Join(", ", model.Unversioned.Select(n => "'" + n.Replace("'", "''") + "'")) + "]";
        var differing = $"from {live} l full join {rebuilt} r on l.id = r.id where (l.data - {ignored}) is distinct from (r.data - {ignored})";

        await using var count = dataSource.CreateCommand($"select count(*) {differing}");
        count.CommandTimeout = 0;
        var total = (long)(await count.ExecuteScalarAsync(ct))!;
        var name = $"{model.DocumentType.Name} ({Live}.{model.Table})";
        var ignoring = model.Unversioned.Length == 0 ? "" : $", not comparing {string.Join(", ", model.Unversioned)} (written without events)";
        if (total == 0)
        {
            Console.Out.WriteLine($"{name}: no differences{ignoring}");
            return 0;
        }

        Console.Out.WriteLine($"{name}: {total:N0} document{(total == 1 ? "" : "s")} differ{(total == 1 ? "s" : "")}{ignoring}");
        await using var list = dataSource.CreateCommand(
            $"select coalesce(l.id, r.id)::text, l.id is null, r.id is null, " +
            $"(select string_agg(coalesce(a.key, b.key), ', ' order by coalesce(a.key, b.key)) " +
            $" from jsonb_each(l.data - {ignored}) a full join jsonb_each(r.data - {ignored}) b on a.key = b.key " +
            $" where a.value is distinct from b.value) " +
            $"{differing} order by 1 limit {Shown}");
        list.CommandTimeout = 0;
        await using var reader = await list.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetString(0);
            Console.Out.WriteLine(
                reader.GetBoolean(1) ? $"  {id}: missing from the read model (the events make it)" :
                reader.GetBoolean(2) ? $"  {id}: in the read model, but the events do not make it" :
                $"  {id}: differs in {reader.GetString(3)}");
        }
        if (total > Shown) Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ... and {total - Shown:N0} more"));
        return total;
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }
}
