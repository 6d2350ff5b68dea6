using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Machine;

/// <summary>Images, offers and GPU availability: what the machines' state shows to everyone.</summary>
public sealed class MarketplaceTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}"[..24];

    private static async Task<string> OnTheMarket(ApiClient owner, string name, string price, params (string, string)[] more)
    {
        var id = Uuid(await owner.CreateInstanceAsync([("name", name), ("ask_price", price), .. more]));
        (await owner.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")).EnsureStatus(200);
        (await owner.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
        return id;
    }

    private static JsonObject[] Named(Reply offers, params string[] names) =>
        offers.EnsureStatus(200).Array.Select(o => o!.AsObject()).Where(o => names.Contains(o["name"]!.GetValue<string>())).ToArray();

    [Fact]
    public async Task Offers_are_every_accounts_available_online_instances_cheapest_first_without_owner_or_uuid()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        string cheap = Unique("cheap"), dear = Unique("dear"), gpu = Unique("gpu"), stopped = Unique("stopped"), silent = Unique("silent");
        await OnTheMarket(john, dear, "0.9");
        await OnTheMarket(jane, cheap, "0.011");
        await OnTheMarket(jane, gpu, "0.5", ("type", "2"), ("gpu", TitanV));
        var stoppedId = await OnTheMarket(john, stopped, "0.2");
        (await john.SendFormAsync(HttpMethod.Patch, Url(stoppedId) + "stop/")).EnsureStatus(200);
        var silentId = Uuid(await john.CreateInstanceAsync(("name", silent), ("ask_price", "0.3")));
        (await john.SendFormAsync(HttpMethod.Patch, Url(silentId) + "start/")).EnsureStatus(200); // never polled

        var offers = Named(await john.GetAsync("/api/v1/offers/"), cheap, dear, gpu, stopped, silent);

        Assert.Equal([cheap, gpu, dear], offers.Select(o => o["name"]!.GetValue<string>()));
        Assert.All(offers, o => Assert.Equal(
            ["name", "type", "gpu_name", "cuda_cores", "ask_price", "last_connection", "current_server_time"], o.Select(p => p.Key)));
        Assert.Equal("n/a", offers[0]["gpu_name"]!.GetValue<string>());
        Assert.Equal("n/a", offers[0]["cuda_cores"]!.GetValue<string>());
        Assert.Equal(1, offers[0]["type"]!.GetValue<int>());
        Assert.Equal(TitanVName, offers[1]["gpu_name"]!.GetValue<string>());
        Assert.Equal(5120, offers[1]["cuda_cores"]!.GetValue<int>());
        Assert.Equal("0.013", Raw(offers[0]["ask_price"])); // the consumer price: 0.011 x 1.2, to 3 decimals
        Assert.Equal("1.08", Raw(offers[2]["ask_price"]));
        Assert.Equal("0.6", Raw(offers[1]["ask_price"])); // 0.5 x 1.2, written as every other number: no trailing zero
        AssertTimestamp(offers[0]["last_connection"]);
        Assert.DoesNotContain("uuid", (await jane.GetAsync("/api/v1/offers/")).Body);
    }

    [Fact]
    public async Task Offers_filter_by_type_gpu_and_max_price_and_reject_bad_values()
    {
        var john = await api.NewAccountAsync();
        string cpu = Unique("fcpu"), titan = Unique("ftitan"), k80 = Unique("fk80");
        await OnTheMarket(john, cpu, "0.1");
        await OnTheMarket(john, titan, "0.2", ("type", "gpu"), ("gpu", TitanV));
        await OnTheMarket(john, k80, "0.3", ("type", "gpu"), ("gpu", TeslaK80));
        string[] mine = [cpu, titan, k80];

        Assert.Equal([cpu], Named(await john.GetAsync("/api/v1/offers/?type=cpu"), mine).Select(o => o["name"]!.GetValue<string>()));
        Assert.Equal([titan, k80], Named(await john.GetAsync("/api/v1/offers/?type=2"), mine).Select(o => o["name"]!.GetValue<string>()));
        Assert.Equal([k80], Named(await john.GetAsync($"/api/v1/offers/?gpu={TeslaK80}"), mine).Select(o => o["name"]!.GetValue<string>()));
        // On the consumer price: 0.1, 0.2 and 0.3 are offered at 0.12, 0.24 and 0.36.
        Assert.Equal([cpu, titan], Named(await john.GetAsync("/api/v1/offers/?max_price=0.24"), mine).Select(o => o["name"]!.GetValue<string>()));
        Assert.Equal([cpu], Named(await john.GetAsync("/api/v1/offers/?max_price=0.2"), mine).Select(o => o["name"]!.GetValue<string>()));
        // Off the grid of thousandths: 0.24 is above 0.2399, 0.12 is not.
        Assert.Equal([cpu], Named(await john.GetAsync("/api/v1/offers/?max_price=0.2399"), mine).Select(o => o["name"]!.GetValue<string>()));
        Assert.Equal([cpu, titan], Named(await john.GetAsync("/api/v1/offers/?max_price=0.2401"), mine).Select(o => o["name"]!.GetValue<string>()));
        Assert.Empty(Named(await john.GetAsync($"/api/v1/offers/?type=cpu&gpu={TitanV}"), mine));

        (await john.GetAsync("/api/v1/offers/?type=tpu")).Is(400, """{"type":["\"tpu\" is not a valid choice."]}""");
        (await john.GetAsync("/api/v1/offers/?gpu=titan")).Is(400, """{"gpu":["Must be a valid UUID."]}""");
        (await john.GetAsync("/api/v1/offers/?max_price=cheap")).Is(400, """{"max_price":["A valid number is required."]}""");
        Assert.Equal(mine.Order(), Named(await john.GetAsync("/api/v1/offers/?max_price=79228162514264337593543950335"), mine)
            .Select(o => o["name"]!.GetValue<string>()).Order());
        (await api.Anonymous().GetAsync("/api/v1/offers/")).EnsureStatus(401);
    }

    [Fact]
    public async Task Images_list_oldest_first_with_installation_counts_and_filter_by_the_callers_instance()
    {
        var john = await api.NewAccountAsync();
        var mallory = await api.NewAccountAsync();
        var before = (await john.GetAsync("/api/v1/images/")).EnsureStatus(200).Array;
        Assert.Equal(5, before.Count);
        var first = before[0]!.AsObject();
        Assert.Equal(["uuid", "current_server_time", "num_installations", "registry_path", "updated_at", "created_at", "name",
            "description", "requires_gpu", "runtime", "tag"], first.Select(p => p.Key));
        var created = before.Select(i => DateTime.ParseExact(i!["created_at"]!.GetValue<string>(), "dd-MM-yyyy HH:mm:ss",
            System.Globalization.CultureInfo.InvariantCulture)).ToList(); // the catalog's own dates, from 2018
        Assert.Equal(created.Order(), created);
        int Installs(JsonArray images, string path) =>
            images.Single(i => i!["registry_path"]!.GetValue<string>() == path)!["num_installations"]!.GetValue<int>();

        var a = Uuid(await john.CreateInstanceAsync());
        var b = Uuid(await mallory.CreateInstanceAsync());
        foreach (var (client, id) in new[] { (john, a), (mallory, b) })
            (await client.SendFormAsync(HttpMethod.Patch, Url(id) + "add-image/", ("image_registry_path", MachineTests.Crawler))).EnsureStatus(200);
        (await john.SendFormAsync(HttpMethod.Patch, Url(a) + "add-image/", ("image_registry_path", "sharedcloud/standard-node8:latest"))).EnsureStatus(200);

        var after = (await john.GetAsync("/api/v1/images/")).Array;
        Assert.Equal(Installs(before, MachineTests.Crawler) + 2, Installs(after, MachineTests.Crawler));
        var mine = (await john.GetAsync($"/api/v1/images/?instance={a}")).EnsureStatus(200).Array;
        Assert.Equal(["sharedcloud/standard-node8:latest", MachineTests.Crawler],
            mine.Select(i => i!["registry_path"]!.GetValue<string>()).Order());
        (await mallory.GetAsync($"/api/v1/images/?instance={a}")).Is(404, NotFound);
        (await john.GetAsync("/api/v1/images/?instance=nope")).Is(400, """{"instance":["Must be a valid UUID."]}""");

        var one = (await john.GetAsync($"/api/v1/images/{first["uuid"]!.GetValue<string>()}/")).EnsureStatus(200).Object;
        Assert.Equal(first["registry_path"]!.GetValue<string>(), one["registry_path"]!.GetValue<string>());
        (await john.GetAsync($"/api/v1/images/{Guid.NewGuid()}/")).Is(404, NotFound);

        (await john.DeleteAsync(Url(a))).EnsureStatus(204); // a deleted instance has nothing installed
        Assert.Equal(Installs(before, MachineTests.Crawler) + 1, Installs((await john.GetAsync("/api/v1/images/")).Array, MachineTests.Crawler));
    }

    [Fact]
    public async Task A_gpu_is_available_while_an_instance_with_it_is_on_the_market()
    {
        var john = await api.NewAccountAsync();
        bool Available(Reply gpus, string gpu) =>
            gpus.Array.Single(g => g!["uuid"]!.GetValue<string>() == gpu)!["is_available"]!.GetValue<bool>();
        var gpus = (await john.GetAsync("/api/v1/gpus/")).Array;
        var unused = gpus.Select(g => g!["uuid"]!.GetValue<string>()).First(g => g != TitanV && g != TeslaK80); // no other test here uses it

        var id = Uuid(await john.CreateInstanceAsync(("name", Unique("avail")), ("ask_price", "0.5"), ("type", "2"), ("gpu", unused)));
        Assert.False(Available(await john.GetAsync("/api/v1/gpus/"), unused));
        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")).EnsureStatus(200);
        Assert.False(Available(await john.GetAsync("/api/v1/gpus/"), unused)); // started but never in contact
        (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
        Assert.True(Available(await john.GetAsync("/api/v1/gpus/"), unused));
        Assert.True((await john.GetAsync($"/api/v1/gpus/{unused}/")).Object["is_available"]!.GetValue<bool>());
        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "stop/")).EnsureStatus(200);
        Assert.False(Available(await john.GetAsync("/api/v1/gpus/"), unused));
    }
}
