using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Instances;

/// <summary>What the writes leave in the event store (sharedcloud.mt_events).</summary>
public sealed class InstanceHistoryTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Creating_an_instance_starts_its_stream_with_instance_registered()
    {
        var john = await api.NewAccountAsync();

        var created = await john.CreateInstanceAsync(("name", "rig"), ("ask_price", "0.02"), ("type", "gpu"), ("gpu", TitanV));

        var events = await api.EventsAsync(Uuid(created));
        var registered = Assert.Single(events);
        Assert.Equal("instance_registered", registered.Type);
        Assert.Equal("rig", registered.Data["name"]!.GetValue<string>());
        Assert.Equal("0.02", Raw(registered.Data["ask_price"]));
    }

    [Fact]
    public async Task A_patch_that_changes_nothing_appends_no_event_and_keeps_updated_at()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "0.02"), ("max_num_parallel_jobs", "2"));
        var id = Uuid(created);
        Assert.Equal(1, await api.EventCountAsync(id));
        await Task.Delay(TimeSpan.FromSeconds(1.1)); // timestamps have whole seconds: let a write show

        var same = await john.SendFormAsync(HttpMethod.Patch, Url(created),
            ("uuid", id), ("name", "  box "), ("ask_price", "0.020"), ("type", "cpu"), ("max_num_parallel_jobs", "2"));
        var put = await john.SendJsonAsync(HttpMethod.Put, Url(created), new { name = "box", ask_price = 0.02m, type = 1 });

        same.EnsureStatus(200);
        put.EnsureStatus(200);
        Assert.Equal(created["updated_at"]!.GetValue<string>(), same.Object["updated_at"]!.GetValue<string>());
        Assert.Equal(created["updated_at"]!.GetValue<string>(), put.Object["updated_at"]!.GetValue<string>());
        Assert.Equal(1, await api.EventCountAsync(id));

        // a real change does move updated_at (so the check above could have seen a change)
        var renamed = await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "other"));
        renamed.EnsureStatus(200);
        Assert.NotEqual(created["updated_at"]!.GetValue<string>(), renamed.Object["updated_at"]!.GetValue<string>());
        Assert.Equal(created["created_at"]!.GetValue<string>(), renamed.Object["created_at"]!.GetValue<string>());
        Assert.Equal(2, await api.EventCountAsync(id));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task One_patch_changing_name_and_price_appends_instance_renamed_and_instance_price_changed(Body body)
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        (await john.PatchAsync(body, Url(created), ("ask_price", body == Body.Form ? "1.5" : 1.5m), ("name", "renamed")))
            .EnsureStatus(200);

        var events = await api.EventsAsync(Uuid(created));
        Assert.Equal(["instance_registered", "instance_renamed", "instance_price_changed"], events.Select(e => e.Type));
        Assert.Equal("renamed", events[1].Data["name"]!.GetValue<string>());
        Assert.Equal("1.5", Raw(events[2].Data["ask_price"]));
    }

    [Fact]
    public async Task Each_kind_of_change_has_its_own_event_type()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "1"), ("max_num_parallel_jobs", "2"));
        var url = Url(created);

        (await john.SendFormAsync(HttpMethod.Patch, url, ("max_num_parallel_jobs", "1"))).EnsureStatus(200);
        (await john.SendFormAsync(HttpMethod.Patch, url, ("type", "gpu"), ("gpu", TitanV))).EnsureStatus(200);
        (await john.SendFormAsync(HttpMethod.Patch, url, ("gpu", TeslaK80))).EnsureStatus(200);
        (await john.SendFormAsync(HttpMethod.Patch, url, ("type", "cpu"))).EnsureStatus(200);

        Assert.Equal(
            ["instance_registered", "instance_parallelism_changed", "instance_type_changed", "instance_gpu_changed", "instance_type_changed"],
            await api.EventTypesAsync(Uuid(created)));
    }

    [Fact]
    public async Task A_rejected_write_appends_nothing()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("type", "gpu"))).EnsureStatus(400);
        (await john.SendFormAsync(HttpMethod.Put, Url(created), ("name", "x"))).EnsureStatus(400);

        Assert.Equal(["instance_registered"], await api.EventTypesAsync(Uuid(created)));
    }

    [Fact]
    public async Task Deleting_keeps_the_history_in_the_event_store()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "renamed"))).EnsureStatus(200);

        (await john.DeleteAsync(Url(created))).EnsureStatus(204);

        Assert.Equal(["instance_registered", "instance_renamed", "instance_deleted"], await api.EventTypesAsync(Uuid(created)));
        (await john.GetAsync(Url(created))).Is(404, NotFound);
        Assert.DoesNotContain(Uuid(created), (await john.GetAsync(InstancesUrl)).Array.Select(i => Uuid(i!.AsObject())));

        // and nothing more is appended by writes to the deleted instance
        (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "ghost"))).Is(404, NotFound);
        (await john.DeleteAsync(Url(created))).Is(404, NotFound);
        Assert.Equal(3, await api.EventCountAsync(Uuid(created)));
    }
}
