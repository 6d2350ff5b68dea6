using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.CommandLine;

/// <summary>
/// The database of an API host whose process runs no analytics daemon: the seed command rebuilds every projection
/// itself, and a daemon catching up on the same database meanwhile made the rebuild refuse now and then ("written by
/// someone else"; a rebuild beside a live daemon is the issue of live rebuilds, not this command's).
/// </summary>
public sealed class NoDaemonApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Projections:Daemon", "Disabled");
    }
}

public sealed class BenchSeedCommandTests(NoDaemonApiFactory api) : IClassFixture<NoDaemonApiFactory>
{
    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Seed_writes_the_history_asked_for_and_read_models_that_verify()
    {
        var result = await CommandLineRunner.RunAsync(api.ConnectionString,
            "bench", "seed", "--accounts", "5", "--instances", "40", "--events", "2000");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("wrote 2000 events (5 accounts, 40 instances)", result.Stderr);
        Assert.Equal(2000, await ScalarAsync("select count(*) from sharedcloud.mt_events"));
        Assert.Equal(45, await ScalarAsync("select count(*) from sharedcloud.mt_streams"));
        // Versions run 1..n in every stream, the streams' versions agree, and sequence order is time order.
        Assert.Equal(0, await ScalarAsync(
            "select count(*) from (select stream_id, max(version) m, count(*) c, min(version) f from sharedcloud.mt_events group by stream_id) e " +
            "join sharedcloud.mt_streams s on s.id = e.stream_id where e.m <> e.c or e.f <> 1 or s.version <> e.m"));
        Assert.Equal(0, await ScalarAsync(
            "select count(*) from (select timestamp < lag(timestamp) over (order by seq_id) backwards from sharedcloud.mt_events) t where backwards"));
        Assert.True(await ScalarAsync("select count(distinct type) from sharedcloud.mt_events") >= 15);
        Assert.Equal(0, await ScalarAsync("select count(*) from sharedcloud.mt_events where user_name is null or headers ->> 'owner_id' is null"));
        Assert.Equal(5, await ScalarAsync("select count(*) from sharedcloud.mt_doc_accountdetails"));
        Assert.Equal(40 - await ScalarAsync("select count(*) from sharedcloud.mt_events where type = 'instance_deleted'"),
            await ScalarAsync("select count(*) from sharedcloud.mt_doc_instancedetails"));

        var verify = await CommandLineRunner.RunAsync(api.ConnectionString, "events", "verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }
}
