using Npgsql;

namespace Sharedcloud.Es.Api.Tests.CommandLine;

/// <summary>
/// <c>projections rebuild</c> and <c>events verify</c> over a history made through the API. The tests of
/// this class share one database and leave its read models as the events make them.
/// </summary>
public sealed class ReadModelCommandTests(ApiWithHistory history) : IClassFixture<ApiWithHistory>
{
    private static readonly string[] Tables = ["mt_doc_instancedetails", "mt_doc_accountdetails"];

    /// <summary>
    /// Every read model's documents, without the presence field that polls write in place (no event), with the
    /// revision Marten keeps beside each (the stream's version).
    /// </summary>
    private async Task<Dictionary<string, string>> ReadModelsAsync()
    {
        await using var connection = new NpgsqlConnection(history.ConnectionString);
        await connection.OpenAsync();
        var documents = new Dictionary<string, string>();
        foreach (var table in Tables)
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
        Assert.Equal(live, await ReadModelsAsync());
    }

    [Fact]
    public async Task Verify_finds_no_difference_in_read_models_made_by_the_api()
    {
        var before = await ReadModelsAsync();

        var result = await CommandLineRunner.RunAsync(history.ConnectionString, "events", "verify");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("InstanceDetails (sharedcloud.mt_doc_instancedetails): no differences", result.Stdout);
        Assert.Contains("AccountDetails (sharedcloud.mt_doc_accountdetails): no differences", result.Stdout);
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
        Assert.Contains("InstanceDetails (sharedcloud.mt_doc_instancedetails): 1 document differs", result.Stdout);
        Assert.Contains($"  {renamed}: differs in ask_price, name", result.Stdout);
        Assert.Contains("AccountDetails (sharedcloud.mt_doc_accountdetails): 2 documents differ", result.Stdout);
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
        Assert.Contains("no differences, not comparing last_connection (written without events)", result.Stdout);
    }

    private async Task AssertNoScratchSchemaLeftAsync()
    {
        await using var connection = new NpgsqlConnection(history.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from pg_namespace where nspname like 'sharedcloud_verify_%'", connection);
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }
}
