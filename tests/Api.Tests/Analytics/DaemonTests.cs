using JasperFx.Events.Daemon;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Analytics.AnalyticsKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Analytics;

/// <summary>An API process with the given <c>Projections:Daemon</c>, on a fresh database or on another process's.</summary>
public sealed class AnalyticsNode(string daemon, string? database = null) : ApiFactory
{
    private static readonly string[] Shards = ["market_listings:All", "price_history:All", "daily_activity:All"];

    protected override Task<string> ProvideDatabaseAsync() => database is null ? base.ProvideDatabaseAsync() : Task.FromResult(database);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Projections:Daemon", daemon);
    }

    /// <summary>The analytics shards this process's daemon is running now.</summary>
    /// <remarks>With the daemon disabled, the process has no projection coordinator at all.</remarks>
    public IReadOnlySet<string> RunningShards() =>
        Services.GetService<IProjectionCoordinator>()?.DaemonForMainDatabase().CurrentAgents()
            .Where(a => a.Status == JasperFx.AgentStatus.Running && Shards.Contains(a.Name.Identity))
            .Select(a => a.Name.Identity).ToHashSet() ?? [];

    public static async Task<AnalyticsNode> StartAsync(string daemon, string? database = null)
    {
        var node = new AnalyticsNode(daemon, database);
        await ((IAsyncLifetime)node).InitializeAsync();
        return node;
    }

    public ApiClient As(ApiClient account)
    {
        var client = new ApiClient(NewHttpClient()) { Username = account.Username };
        client.Http.DefaultRequestHeaders.Authorization = account.Http.DefaultRequestHeaders.Authorization;
        return client;
    }

    public static readonly IReadOnlySet<string> AllShards = Shards.ToHashSet();
}

public sealed class DaemonTests
{
    private static async Task<IReadOnlySet<string>> WaitForShards(AnalyticsNode node, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (node.RunningShards() is var running && running.Count != count)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"The node runs {string.Join(", ", running)}, not {count} shards, after 60 s");
            await Task.Delay(100);
        }
        return node.RunningShards();
    }

    [Fact]
    public async Task With_the_daemon_disabled_the_analytics_answer_stale_and_say_how_far_behind_until_another_process_builds_them()
    {
        await using var server = await AnalyticsNode.StartAsync("Disabled");
        var john = await server.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync(("name", "box"), ("ask_price", "0.5")));

        var market = (await john.GetAsync(MarketplaceUrl)).Is(200, """{"types": [], "gpus": []}""");
        Assert.Equal(3, market.Lag()); // signed up, logged in, created
        Assert.Equal(0, market.Position());
        (await john.GetAsync(PriceHistory(id))).Is(200, "[]");
        Assert.Equal(3, (await john.GetAsync(ActivityUrl)).Is(200, "[]").Lag());
        Assert.Empty(server.RunningShards());

        await using var worker = await AnalyticsNode.StartAsync("HotCold", server.ConnectionString);

        (await john.CaughtUpAsync(MarketplaceUrl)).Is(200, """
            {"types": [{"type": 1, "instances": 1, "available": 0, "min_ask_price": 0.5, "avg_ask_price": 0.5, "max_ask_price": 0.5}],
             "gpus": []}
            """);
        Assert.Single((await john.CaughtUpAsync(PriceHistory(id))).Array);
        Assert.Empty(server.RunningShards());
        Assert.Equal(AnalyticsNode.AllShards, worker.RunningShards());
    }

    [Fact]
    public async Task Two_processes_on_one_database_never_run_the_same_projection_and_the_other_takes_over()
    {
        var first = await AnalyticsNode.StartAsync("HotCold");
        await using var second = await AnalyticsNode.StartAsync("HotCold", first.ConnectionString);
        try
        {
            var john = await first.NewAccountAsync();
            var clients = new[] { first.As(john), second.As(john) };
            var ids = new List<string>();
            for (var i = 0; i < 12; i++) // writes on both while watching both daemons
            {
                ids.Add(Uuid(await clients[i % 2].CreateInstanceAsync(("name", $"box{i}"), ("ask_price", "0.5"))));
                var (a, b) = (first.RunningShards(), second.RunningShards());
                Assert.Empty(a.Intersect(b));
                await Task.Delay(100);
            }
            var runningFirst = first.RunningShards();
            var runningSecond = second.RunningShards();
            while (runningFirst.Count + runningSecond.Count < 3) // until elected
            {
                Assert.Empty(runningFirst.Intersect(runningSecond));
                await Task.Delay(100);
                (runningFirst, runningSecond) = (first.RunningShards(), second.RunningShards());
            }
            Assert.Equal(AnalyticsNode.AllShards, runningFirst.Union(runningSecond).ToHashSet());
            Assert.Empty(runningFirst.Intersect(runningSecond));
            var activity = await clients[1].CaughtUpAsync(ActivityUrl);
            Assert.Equal(14, activity.Array.Sum(d => d!["total"]!.GetValue<int>()));

            // The process that runs projections stops; the other one takes them all over and carries on.
            var (stopping, staying, stayingClient) = runningFirst.Count > 0 ? (first, second, clients[1]) : (second, first, clients[0]);
            await stopping.DisposeAsync();
            Assert.Equal(AnalyticsNode.AllShards, await WaitForShards(staying, 3));
            await stayingClient.CreateInstanceAsync(("name", "after"), ("ask_price", "0.5"));
            var market = await stayingClient.CaughtUpAsync(MarketplaceUrl);
            Assert.Equal(13, market.Object["types"]![0]!["instances"]!.GetValue<int>());
            Assert.Equal(15, (await stayingClient.CaughtUpAsync(ActivityUrl)).Array.Sum(d => d!["total"]!.GetValue<int>()));
        }
        finally
        {
            await first.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_unknown_daemon_mode_stops_the_start_with_a_message()
    {
        await using var node = new AnalyticsNode("Sometimes");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ((IAsyncLifetime)node).InitializeAsync());
        Assert.Contains("Projections:Daemon (environment Projections__Daemon) must be HotCold or Disabled, not 'Sometimes'.",
            error.ToString());
    }
}
