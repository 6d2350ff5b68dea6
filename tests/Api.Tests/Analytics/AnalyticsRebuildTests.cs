using JasperFx.Events.Daemon;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Analytics.AnalyticsKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Analytics;

/// <summary>Rebuilding every analytics projection through Marten's daemon API gives what the daemon built live.</summary>
public sealed class AnalyticsRebuildTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_rebuild_through_the_daemon_writes_exactly_what_the_daemon_built_live()
    {
        await MarketplaceStatisticsTests.ScriptedHistory(api);
        var john = await api.NewAccountAsync();
        await john.CaughtUpAsync(MarketplaceUrl);
        await john.CaughtUpAsync(ActivityUrl);
        var instance = Uuid(await john.CreateInstanceAsync());
        await john.CaughtUpAsync(PriceHistory(instance));
        var live = await AnalyticsDocumentsAsync(api.ConnectionString);
        Assert.Contains(live, row => row.StartsWith("mt_doc_market_listing "));
        Assert.Contains(live, row => row.StartsWith("mt_doc_pricehistory "));
        Assert.Contains(live, row => row.StartsWith("mt_doc_dailyactivity "));

        // Spoil every read model, so that only a real rebuild from the events can bring them back.
        await using (var connection = new NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var spoil = new NpgsqlCommand(
                "update sharedcloud.mt_doc_market_listing set data = jsonb_set(data, '{ask_price}', '999');" +
                "delete from sharedcloud.mt_doc_pricehistory;" +
                "update sharedcloud.mt_doc_dailyactivity set data = jsonb_set(data, '{total}', '0');", connection);
            await spoil.ExecuteNonQueryAsync();
        }
        Assert.NotEqual(live, await AnalyticsDocumentsAsync(api.ConnectionString));

        var daemon = api.Services.GetRequiredService<IProjectionCoordinator>().DaemonForMainDatabase();
        foreach (var projection in new[] { "market_listings", "price_history", "daily_activity", "daily_billing" })
        {
            await daemon.RebuildProjectionAsync(projection, TimeSpan.FromMinutes(1), CancellationToken.None);
            // A rebuild leaves the shard's agent stopped in a running daemon: start it again.
            await daemon.StartAgentAsync($"{projection}:All", CancellationToken.None);
        }

        Assert.Equal(live, await AnalyticsDocumentsAsync(api.ConnectionString));

        // The daemon carries on after the rebuild.
        (await john.SendFormAsync(HttpMethod.Patch, Url(instance), ("ask_price", "0.07"))).EnsureStatus(200);
        Assert.Equal(["0.02", "0.07"], (await john.CaughtUpAsync(PriceHistory(instance))).Array.Select(e => Raw(e!["ask_price"])));
        await john.CaughtUpAsync(MarketplaceUrl);
        await john.CaughtUpAsync(ActivityUrl);
    }
}
