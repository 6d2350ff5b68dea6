using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Analytics.AnalyticsKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Analytics;

/// <summary>
/// GET /api/v1/analytics/marketplace/ over a scripted history. The class has its database to
/// itself: the statistics cover every account.
/// </summary>
public sealed class MarketplaceStatisticsTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static async Task<string> Create(ApiClient owner, string price, params (string, string)[] more) =>
        Uuid(await owner.CreateInstanceAsync([("name", "box"), ("ask_price", price), .. more]));

    private static async Task Do(ApiClient owner, string id, string action) =>
        (await owner.SendFormAsync(HttpMethod.Patch, Url(id) + action + "/")).EnsureStatus(200);

    private static async Task Patch(ApiClient owner, string id, params (string, string)[] fields) =>
        (await owner.SendFormAsync(HttpMethod.Patch, Url(id), fields)).EnsureStatus(200);

    /// <summary>A history with price changes, deletions, start/stop, and GPU instances moving between groups.</summary>
    internal static async Task ScriptedHistory(ApiFactory api)
    {
        var alice = await api.NewAccountAsync();
        var bob = await api.NewAccountAsync();
        var titan = new[] { ("type", "2"), ("gpu", TitanV) };
        var k80 = new[] { ("type", "2"), ("gpu", TeslaK80) };

        var c1 = await Create(alice, "0.1");
        await Do(alice, c1, "start");
        var c2 = await Create(alice, "0.3");
        await Patch(alice, c2, ("ask_price", "0.2"));
        await Do(alice, c2, "start");
        await Do(alice, c2, "stop");
        var c3 = await Create(alice, "0.05");
        await Do(alice, c3, "start");
        (await alice.DeleteAsync(Url(c3))).EnsureStatus(204);

        var g1 = await Create(bob, "1.0", titan);
        await Do(bob, g1, "start");
        var g2 = await Create(bob, "2.0", titan);
        await Patch(bob, g2, ("ask_price", "1.5"));
        var g3 = await Create(bob, "0.8", k80);
        await Do(bob, g3, "start");
        await Patch(bob, g3, ("gpu", TitanV)); // K80 -> Titan V
        var g4 = await Create(bob, "0.4", k80);
        await Patch(bob, g4, ("type", "1")); // GPU -> CPU
        var g5 = await Create(bob, "0.6", k80);
        await Do(bob, g5, "start");
        await Do(bob, g5, "stop");
        var g6 = await Create(bob, "9.0", titan);
        await Do(bob, g6, "start");
        (await bob.DeleteAsync(Url(g6))).EnsureStatus(204);
    }

    [Fact]
    public async Task Statistics_per_type_and_gpu_model_count_live_instances_and_their_current_prices()
    {
        await ScriptedHistory(api);
        var reader = await api.NewAccountAsync(); // any account may read them

        var statistics = await reader.CaughtUpAsync(MarketplaceUrl);

        // CPU: c1 0.1 (available), c2 0.2, g4 0.4 (was a K80 GPU). GPU: g1 1.0 (available), g2 1.5,
        // g3 0.8 (available, moved from K80 to Titan V), g5 0.6. Titan V: g1, g2, g3. K80: g5.
        // Deleted: c3, g6.
        statistics.Is(200, $$"""
            {"types": [
               {"type": 1, "instances": 3, "available": 1, "min_ask_price": 0.1, "avg_ask_price": 0.233333, "max_ask_price": 0.4},
               {"type": 2, "instances": 4, "available": 2, "min_ask_price": 0.6, "avg_ask_price": 0.975, "max_ask_price": 1.5}],
             "gpus": [
               {"gpu": "{{TeslaK80}}", "gpu_name": "{{TeslaK80Name}}", "instances": 1, "available": 0,
                "min_ask_price": 0.6, "avg_ask_price": 0.6, "max_ask_price": 0.6},
               {"gpu": "{{TitanV}}", "gpu_name": "{{TitanVName}}", "instances": 3, "available": 2,
                "min_ask_price": 0.8, "avg_ask_price": 1.1, "max_ask_price": 1.5}]}
            """);
        Assert.True(statistics.Position() > 0);
        (await api.Anonymous().GetAsync(MarketplaceUrl)).EnsureStatus(401);
    }
}
