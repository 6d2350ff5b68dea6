using JasperFx.Events.Projections;
using Marten;
using Npgsql;
using Sharedcloud.Es.Api.CommandLine;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Tests.CommandLine;

/// <summary>
/// <c>projections rebuild</c> and <c>events verify</c> over a history made through the API. The tests of
/// this class share one database and leave its read models as the events make them.
/// </summary>
public sealed class ReadModelCommandTests(ApiWithHistory history) : IClassFixture<ApiWithHistory>
{
    private static readonly string[] Tables = ["mt_doc_instancedetails", "mt_doc_accountdetails"];

    private static readonly string[] AnalyticsTables = ["mt_doc_market_listing", "mt_doc_pricehistory", "mt_doc_dailyactivity"];

    /// <summary>
    /// Every read model's documents, without the presence field that polls write in place (no event), with the
    /// revision Marten keeps beside each (the stream's version).
    /// </summary>
    private async Task<Dictionary<string, string>> ReadModelsAsync(params string[] more)
    {
        await using var connection = new NpgsqlConnection(history.ConnectionString);
        await connection.OpenAsync();
        var documents = new Dictionary<string, string>();
        foreach (var table in Tables.Concat(more))
        {
            await using var command = new NpgsqlCommand(
                $"select id::text, (data - 'last_connection')::text, mt_version from sharedcloud.{table}", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                documents[$"{table}/{reader.GetString(0)}"] = $"{reader.GetString(1)} revision {reader.GetInt64(2)}";
        }
        return documents;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(history.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<string> AnyIdAsync(string table, string where = "true")
    {
        await using var connection = new NpgsqlConnection(history.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select id::text from sharedcloud.{table} where {where} order by id limit 1", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Projections_rebuild_reproduces_the_live_read_models()
    {
        var live = await ReadModelsAsync();
        await ExecuteAsync("delete from sharedcloud.mt_doc_instancedetails; delete from sharedcloud.mt_doc_accountdetails");

        var result = await CommandLineRunner.RunAsync(history.ConnectionString, "projections", "rebuild");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEmpty(live);
        AssertSameDocuments(live, await ReadModelsAsync());
    }

    /// <summary>
    /// The rebuild folds the log in ranges, several loading at once, each folded in order (FoldingReplay). With
    /// ranges of three events, every stream and account-day spans several of them.
    /// </summary>
    [Fact]
    public async Task A_rebuild_in_ranges_of_three_events_folds_the_same_documents_and_revisions()
    {
        await AnalyticsCaughtUpAsync();
        var live = await ReadModelsAsync(AnalyticsTables);
        Assert.Contains(live.Keys, key => key.StartsWith("mt_doc_dailyactivity/"));

        await using var store = DocumentStore.For(opts =>
        {
            MartenConfiguration.Configure(opts, history.ConnectionString);
            foreach (var projection in opts.Projections.All.OfType<ProjectionBase>()) projection.Options.BatchSize = 3;
        });
        using var daemon = await store.BuildProjectionDaemonAsync();
        foreach (var projection in ProjectionRebuild.StoredProjections(store))
            await daemon.RebuildProjectionAsync(projection, TimeSpan.FromMinutes(1), CancellationToken.None);

        AssertSameDocuments(live, await ReadModelsAsync(AnalyticsTables));
    }

    /// <summary>The same documents, or a message naming each that differs (the first few, whole).</summary>
    private static void AssertSameDocuments(Dictionary<string, string> expected, Dictionary<string, string> actual)
    {
        var differing = expected.Keys.Union(actual.Keys)
            .Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .Order(StringComparer.Ordinal).ToList();
        Assert.True(differing.Count == 0, $"{differing.Count} documents differ:\n" + string.Join("\n", differing.Take(3).Select(k =>
            $"{k}\n  expected {expected.GetValueOrDefault(k) ?? "(none)"}\n  actual   {actual.GetValueOrDefault(k) ?? "(none)"}")));
    }

    /// <summary>Waits until the API's daemon has brought every analytics projection to the last event.</summary>
    private async Task AnalyticsCaughtUpAsync()
    {
        await using var connection = new NpgsqlConnection(history.ConnectionString);
        await connection.OpenAsync();
        await using var behind = new NpgsqlCommand(
            "select 3 - count(*) filter (where last_seq_id >= (select max(seq_id) from sharedcloud.mt_events)) " +
            "from sharedcloud.mt_event_progression where name in ('market_listings:All', 'price_history:All', 'daily_activity:All')",
            connection);
        for (var attempt = 0; (long)(await behind.ExecuteScalarAsync())! > 0; attempt++)
        {
            Assert.True(attempt < 300, "the analytics projections did not catch up within 30 s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Verify_finds_no_difference_in_read_models_made_by_the_api()
    {
        var before = await ReadModelsAsync();

        var result = await CommandLineRunner.RunAsync(history.ConnectionString, "events", "verify");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Instance (sharedcloud.mt_doc_instancedetails): no differences", result.Stdout);
        Assert.Contains("Account (sharedcloud.mt_doc_accountdetails): no differences", result.Stdout);
        // Every stored projection is checked, the analytics ones included.
        Assert.Matches(@"verify: every read model \((?:[5-9]|\d\d+)\) equals its rebuild", result.Stdout);
        Assert.Equal(before, await ReadModelsAsync());
        await AssertNoScratchSchemaLeftAsync();
    }

    [Fact]
    public async Task Verify_reports_tampered_documents_and_a_rebuild_repairs_them()
    {
        var renamed = await AnyIdAsync("mt_doc_instancedetails");
        var removed = await AnyIdAsync("mt_doc_accountdetails");
        var stray = Guid.NewGuid();
        await ExecuteAsync(
            $"update sharedcloud.mt_doc_instancedetails set data = jsonb_set(jsonb_set(data, '{{name}}', '\"tampered\"'), '{{ask_price}}', '999') where id = '{renamed}';" +
            $"delete from sharedcloud.mt_doc_accountdetails where id = '{removed}';" +
            $"insert into sharedcloud.mt_doc_accountdetails (id, data, mt_dotnet_type, mt_version, mt_last_modified) " +
            $"select '{stray}', jsonb_set(data, '{{username}}', '\"stray\"'), mt_dotnet_type, mt_version, mt_last_modified from sharedcloud.mt_doc_accountdetails limit 1;");

        var result = await CommandLineRunner.RunAsync(history.ConnectionString, "events", "verify");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Instance (sharedcloud.mt_doc_instancedetails): 1 document differs", result.Stdout);
        Assert.Contains($"  {renamed}: differs in ask_price, name", result.Stdout);
        Assert.Contains("Account (sharedcloud.mt_doc_accountdetails): 2 documents differ", result.Stdout);
        Assert.Contains($"  {removed}: missing from the read model (the events make it)", result.Stdout);
        Assert.Contains($"  {stray}: in the read model, but the events do not make it", result.Stdout);
        Assert.Matches(@"verify: 3 differences in 2 of (?:[5-9]|\d\d+) read models", result.Stdout);
        await AssertNoScratchSchemaLeftAsync();

        var rebuild = await CommandLineRunner.RunAsync(history.ConnectionString, "projections", "rebuild");
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        var again = await CommandLineRunner.RunAsync(history.ConnectionString, "events", "verify");
        Assert.True(again.ExitCode == 0, again.ToString());
    }

    [Fact]
    public async Task Verify_leaves_presence_written_without_events_out()
    {
        var polled = await AnyIdAsync("mt_doc_instancedetails", "data ->> 'last_connection' is not null");
        await ExecuteAsync(
            $"update sharedcloud.mt_doc_instancedetails set data = jsonb_set(data, '{{last_connection}}', to_jsonb(now()::text)) where id = '{polled}'");

        var result = await CommandLineRunner.RunAsync(history.ConnectionString, "events", "verify");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("no differences, not comparing last_connection, num_assigned_jobs, num_running_jobs (written without events)", result.Stdout);
    }

    private async Task AssertNoScratchSchemaLeftAsync()
    {
        await using var connection = new NpgsqlConnection(history.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from pg_namespace where nspname like 'sharedcloud_verify_%'", connection);
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }
}
