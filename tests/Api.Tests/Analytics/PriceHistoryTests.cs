using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Analytics.AnalyticsKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Analytics;

/// <summary>GET /api/v1/instances/&lt;uuid&gt;/price-history/: every ask price, when and by whom, for the owner.</summary>
public sealed class PriceHistoryTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Lists_the_registration_price_then_every_change_with_time_and_actor_also_after_deletion()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync(("name", "box"), ("ask_price", "0.5")));           // v1
        (await john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", "box2"))).EnsureStatus(200);      // v2, no price
        (await john.SendFormAsync(HttpMethod.Patch, Url(id), ("ask_price", "0.25"))).EnsureStatus(200); // v3
        (await john.SendFormAsync(HttpMethod.Put, Url(id), ("name", "box2"), ("ask_price", "0.75"))).EnsureStatus(200); // v4
        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")).EnsureStatus(200);             // v5
        (await john.SendFormAsync(HttpMethod.Patch, Url(id), ("ask_price", "0.3"), ("name", "box3"))).EnsureStatus(200); // v6 and v7
        (await john.DeleteAsync(Url(id))).EnsureStatus(204);
        var events = (await john.GetAsync(Url(id) + "events/")).Array;
        var johnsUuid = (await john.GetAsync("/api/v1/users/account/")).Object["uuid"]!.GetValue<string>();

        var history = await john.CaughtUpAsync(PriceHistory(id));

        // The events that set a price, in the instance's own log: registration, then three of the five changes.
        var priced = events.Where(e => e!["type"]!.GetValue<string>() is "instance_registered" or "instance_price_changed").ToList();
        Assert.Equal([1, 3, 4], priced.Take(3).Select(e => e!["version"]!.GetValue<int>()));
        var expected = new JsonArray();
        Assert.Equal(4, priced.Count);
        foreach (var (e, price) in priced.Zip(new[] { "0.5", "0.25", "0.75", "0.3" }))
            expected.Add(JsonNode.Parse($$"""
                {"version": {{e!["version"]}}, "ask_price": {{price}}, "timestamp": "{{e["timestamp"]}}", "recorded_at": "{{e["recorded_at"]}}",
                 "actor": {"uuid": "{{johnsUuid}}", "username": "{{john.Username}}"} }
                """));
        history.Is(200, expected.ToJsonString());
        Assert.Equal(["0.5", "0.25", "0.75", "0.3"], history.Array.Select(e => Raw(e!["ask_price"])));
    }

    [Fact]
    public async Task Only_the_owner_sees_it()
    {
        var john = await api.NewAccountAsync();
        var mallory = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        await john.CaughtUpAsync(PriceHistory(id));

        (await mallory.GetAsync(PriceHistory(id))).Is(404, NotFound);
        (await mallory.GetAsync(PriceHistory(Guid.NewGuid().ToString()))).Is(404, NotFound);
        (await api.Anonymous().GetAsync(PriceHistory(id))).EnsureStatus(401);
    }
}
