using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Machine;

/// <summary>The calls of the provider's machine: start/stop, the job poll, images.</summary>
public sealed class MachineTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    public const string Crawler = "sharedcloud/web-crawling-python36:latest";
    public const string TensorflowGpu = "sharedcloud/tensorflow-gpu-python36:latest";

    [Fact]
    public async Task Start_and_stop_switch_the_status_and_repeat_harmlessly()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());

        var started = (await john.SendFormAsync(HttpMethod.Patch, $"{Url(id)}start/")).EnsureStatus(200).Object;
        AssertInstanceShape(started);
        Assert.Equal(2, started["status"]!.GetValue<int>());
        Assert.Equal(2, (await john.SendFormAsync(HttpMethod.Patch, $"{Url(id)}start/")).EnsureStatus(200).Object["status"]!.GetValue<int>());
        Assert.Equal(2, (await john.GetAsync(Url(id))).Object["status"]!.GetValue<int>());
        var stopped = (await john.SendFormAsync(HttpMethod.Patch, $"{Url(id)}stop")).EnsureStatus(200).Object;
        Assert.Equal(1, stopped["status"]!.GetValue<int>());
        (await john.SendFormAsync(HttpMethod.Patch, $"{Url(id)}stop/")).EnsureStatus(200);

        Assert.Equal(["instance_registered", "instance_started", "instance_stopped"], await api.EventTypesAsync(id));
    }

    [Fact]
    public async Task Start_stop_and_images_honour_if_match_and_carry_the_new_etag()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        static Action<HttpRequestMessage> IfMatch(string tag) => r => r.Headers.TryAddWithoutValidation("If-Match", tag);

        var stale = await john.SendAsync(HttpMethod.Patch, Url(id) + "start/", null, IfMatch("\"7\""));
        stale.Is(412, """{"detail":"Precondition failed: the instance was modified (current version 1)."}""");
        var started = await john.SendAsync(HttpMethod.Patch, Url(id) + "start/", null, IfMatch("\"1\""));
        Assert.Equal("\"2\"", started.EnsureStatus(200).Headers.ETag!.ToString());
        var unknown = new FormUrlEncodedContent([new("image_registry_path", "no/such:image")]);
        (await john.SendAsync(HttpMethod.Patch, Url(id) + "add-image/", unknown, IfMatch("\"1\""))).EnsureStatus(412); // 412 before 400
        var added = await john.SendAsync(HttpMethod.Patch, Url(id) + "add-image/",
            new FormUrlEncodedContent([new("image_registry_path", Crawler)]), IfMatch("\"2\""));
        Assert.Equal("\"3\"", added.EnsureStatus(200).Headers.ETag!.ToString());

        Assert.Equal(["instance_registered", "instance_started", "instance_image_added"], await api.EventTypesAsync(id));
    }

    [Fact]
    public async Task Machine_calls_on_another_accounts_or_a_deleted_instance_are_404()
    {
        var john = await api.NewAccountAsync();
        var mallory = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());

        foreach (var action in new[] { "start/", "stop/", "add-image/", "delete-image/" })
            (await mallory.SendFormAsync(HttpMethod.Patch, Url(id) + action, ("image_registry_path", Crawler))).Is(404, NotFound);
        (await mallory.GetAsync(Url(id) + "get-jobs/")).Is(404, NotFound);
        (await api.Anonymous().GetAsync(Url(id) + "get-jobs/")).EnsureStatus(401);
        (await john.DeleteAsync(Url(id))).EnsureStatus(204);
        (await john.GetAsync(Url(id) + "get-jobs/")).Is(404, NotFound);
        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")).Is(404, NotFound);
        (await john.GetAsync(Url(id) + "start/")).EnsureStatus(405);
        Assert.Equal(["instance_registered", "instance_deleted"], await api.EventTypesAsync(id));
    }

    [Fact]
    public async Task Polls_return_no_jobs_refresh_last_connection_and_append_one_event_only()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        var id = Uuid(created);
        Assert.Null(created["last_connection"]);

        var before = DateTime.UtcNow.AddSeconds(-1);
        var first = (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
        Assert.Equal("[]", first.Body);
        Assert.Equal("application/json", first.ContentHeaders.ContentType!.MediaType);
        var afterFirst = (await john.GetAsync(Url(id))).Object;
        var seen = AssertTimestamp(afterFirst["last_connection"]);
        Assert.InRange(seen, before.AddTicks(-(before.Ticks % TimeSpan.TicksPerSecond)), DateTime.UtcNow.AddSeconds(1));

        await Task.Delay(TimeSpan.FromSeconds(1.1)); // timestamps show whole seconds
        for (var i = 0; i < 3; i++) (await john.GetAsync(Url(id) + "get-jobs")).EnsureStatus(200);
        var afterMore = (await john.GetAsync(Url(id))).Object;

        Assert.True(AssertTimestamp(afterMore["last_connection"]) > seen);
        Assert.Equal(afterFirst["updated_at"]!.GetValue<string>(), afterMore["updated_at"]!.GetValue<string>()); // a poll is no edit
        Assert.Equal(["instance_registered", "instance_came_online"], await api.EventTypesAsync(id));
        var list = (await john.GetAsync(InstancesUrl)).Array.Single(i => i!["uuid"]!.GetValue<string>() == id)!;
        Assert.Equal(afterMore["last_connection"]!.GetValue<string>(), list["last_connection"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_write_between_polls_keeps_the_latest_contact()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
        var polled = (await john.GetAsync(Url(id))).Object["last_connection"]!.GetValue<string>();

        var renamed = (await john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", "renamed"))).EnsureStatus(200).Object;

        Assert.Equal(polled, renamed["last_connection"]!.GetValue<string>());
    }

    [Fact]
    public async Task Images_are_added_and_removed_and_repeats_change_nothing()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());

        var added = (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "add-image/", ("image_registry_path", Crawler))).EnsureStatus(200).Object;
        Assert.Equal([Crawler], added["downloaded_images"]!.AsArray().Select(x => x!.GetValue<string>()));
        (await john.SendJsonAsync(HttpMethod.Patch, Url(id) + "add-image/", new { image_registry_path = Crawler })).EnsureStatus(200);
        var node = (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "add-image/", ("image_registry_path", "sharedcloud/standard-node8:latest")))
            .EnsureStatus(200).Object;
        Assert.Equal([Crawler, "sharedcloud/standard-node8:latest"], node["downloaded_images"]!.AsArray().Select(x => x!.GetValue<string>()));

        var removed = (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "delete-image/", ("image_registry_path", Crawler))).EnsureStatus(200).Object;
        Assert.Equal(["sharedcloud/standard-node8:latest"], removed["downloaded_images"]!.AsArray().Select(x => x!.GetValue<string>()));
        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "delete-image/", ("image_registry_path", Crawler))).EnsureStatus(200);

        Assert.Equal(["instance_registered", "instance_image_added", "instance_image_added", "instance_image_removed"],
            await api.EventTypesAsync(id));
    }

    [Fact]
    public async Task Image_rules_and_field_errors()
    {
        var john = await api.NewAccountAsync();
        var cpu = Uuid(await john.CreateInstanceAsync());
        var gpu = Uuid(await john.CreateInstanceAsync(("name", "g"), ("ask_price", "0.5"), ("type", "2"), ("gpu", TitanV)));

        (await john.SendFormAsync(HttpMethod.Patch, Url(cpu) + "add-image/", ("image_registry_path", TensorflowGpu)))
            .Is(400, """{"image_registry_path":["your instance is type CPU, but this image is only supported by type GPU"]}""");
        (await john.SendFormAsync(HttpMethod.Patch, Url(gpu) + "add-image/", ("image_registry_path", Crawler)))
            .Is(400, """{"image_registry_path":["your instance is type GPU, but this image is only supported by type CPU"]}""");
        (await john.SendFormAsync(HttpMethod.Patch, Url(gpu) + "add-image/", ("image_registry_path", TensorflowGpu))).EnsureStatus(200);
        (await john.SendFormAsync(HttpMethod.Patch, Url(cpu) + "add-image/", ("image_registry_path", "nobody/nothing:1")))
            .Is(400, """{"image_registry_path":["Object with registry_path=nobody/nothing:1 does not exist."]}""");
        (await john.SendFormAsync(HttpMethod.Patch, Url(cpu) + "delete-image/", ("image_registry_path", "nobody/nothing:1")))
            .Is(400, """{"image_registry_path":["Object with registry_path=nobody/nothing:1 does not exist."]}""");
        (await john.SendFormAsync(HttpMethod.Patch, Url(cpu) + "add-image/")).Is(400, """{"image_registry_path":["This field is required."]}""");
        (await john.SendFormAsync(HttpMethod.Patch, Url(cpu) + "delete-image/", ("image_registry_path", " ")))
            .Is(400, """{"image_registry_path":["This field may not be blank."]}""");
        (await john.SendJsonAsync(HttpMethod.Patch, Url(cpu) + "add-image/", new { image_registry_path = (string?)null }))
            .Is(400, """{"image_registry_path":["This field may not be null."]}""");

        Assert.Equal(["instance_registered"], await api.EventTypesAsync(cpu));
    }

    [Fact]
    public async Task The_official_clients_loop_start_poll_poll_stop()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync(("name", "provider-box"), ("ask_price", "0.01"), ("max_num_parallel_jobs", "2")));

        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")).EnsureStatus(200);
        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "add-image/", ("image_registry_path", Crawler))).EnsureStatus(200);
        for (var i = 0; i < 5; i++)
            Assert.Equal("[]", (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200).Body);
        var running = (await john.GetAsync(Url(id))).Object;
        Assert.Equal(2, running["status"]!.GetValue<int>());
        Assert.NotNull(running["last_connection"]!.GetValue<string?>());
        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "stop/")).EnsureStatus(200);

        Assert.Equal(["instance_registered", "instance_started", "instance_image_added", "instance_came_online", "instance_stopped"],
            await api.EventTypesAsync(id));
    }
}
