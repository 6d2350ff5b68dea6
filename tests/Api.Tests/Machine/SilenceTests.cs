using Microsoft.AspNetCore.Hosting;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Machine;

/// <summary>A host whose machines go offline after 1 s of silence and off the market after 2 s.</summary>
public class ShortSilenceApiFactory : ApiFactory
{
    /// <summary>Set: run on this database (another process's) instead of a fresh one.</summary>
    protected string? SharedDatabase { get; init; }

    protected override Task<string> ProvideDatabaseAsync() =>
        SharedDatabase is null ? base.ProvideDatabaseAsync() : Task.FromResult(SharedDatabase);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Presence:OfflineAfter", "00:00:01");
        builder.UseSetting("Presence:NotAvailableAfter", "00:00:02");
        foreach (var timing in new[]
                 {
                     "ScheduledJobFirstExecution", "ScheduledJobPollingTime", "FirstNodeReassignmentExecution",
                     "NodeReassignmentPollingTime", "OrphanedMessageSweepPollingTime", "FirstHealthCheckExecution",
                     "HealthCheckPollingTime",
                 })
            builder.UseSetting($"Wolverine:Durability:{timing}", "00:00:00.5");
    }
}

/// <summary>Another API process on an existing database.</summary>
public sealed class SecondProcessApiFactory : ShortSilenceApiFactory
{
    public SecondProcessApiFactory(string database) => SharedDatabase = database;
}

public sealed class SilenceTests(ShortSilenceApiFactory api) : IClassFixture<ShortSilenceApiFactory>
{
    /// <summary>Waits (bounded) until the instance's stream holds <paramref name="type"/> <paramref name="count"/> times.</summary>
    internal static async Task<string[]> WaitForEvents(ApiFactory api, string id, string type, int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var types = await api.EventTypesAsync(id);
            if (types.Count(t => t == type) >= count) return types;
            if (DateTime.UtcNow > deadline) Assert.Fail($"No {count}x {type} within 30 s; events: {string.Join(", ", types)}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_silent_available_machine_goes_offline_then_off_the_market_as_system()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")).EnsureStatus(200);
        (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
        var lastPoll = (await john.GetAsync(Url(id))).Object["last_connection"]!.GetValue<string>();

        var types = await WaitForEvents(api, id, "instance_stopped");

        Assert.Equal(["instance_registered", "instance_started", "instance_came_online", "instance_went_offline", "instance_stopped"], types);
        var after = (await john.GetAsync(Url(id))).Object;
        Assert.Equal(1, after["status"]!.GetValue<int>());
        Assert.Equal(lastPoll, after["last_connection"]!.GetValue<string>()); // still the last contact
        var history = (await john.GetAsync(Url(id) + "events/")).Array;
        Assert.Null(history[3]!["actor"]);
        Assert.Null(history[4]!["actor"]);
        Assert.NotNull(history[1]!["actor"]);
        var feed = (await john.GetAsync("/api/v1/audit/?type=instance_went_offline")).Array;
        Assert.Equal(id, Assert.Single(feed)!["stream_id"]!.GetValue<string>()); // system events are in the owner's feed
    }

    [Fact]
    public async Task A_machine_that_keeps_polling_stays_online_and_one_that_comes_back_is_online_again()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")).EnsureStatus(200);

        for (var i = 0; i < 30; i++) // 3 s of polls every 100 ms: longer than both windows, with room for a slow poll under load
        {
            (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
            await Task.Delay(100);
        }
        Assert.Equal(["instance_registered", "instance_started", "instance_came_online"], await api.EventTypesAsync(id));

        await WaitForEvents(api, id, "instance_went_offline");
        (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
        var types = await api.EventTypesAsync(id);
        Assert.Equal("instance_came_online", types[^1]);
        Assert.Equal(2, types.Count(t => t == "instance_came_online"));
    }

    [Fact]
    public async Task A_stopped_machine_only_goes_offline()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);

        await WaitForEvents(api, id, "instance_went_offline");
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        Assert.Equal(["instance_registered", "instance_came_online", "instance_went_offline"], await api.EventTypesAsync(id));
    }
}

/// <summary>Two API processes on one database, and a restart: the scheduled checks run, and once.</summary>
public sealed class SilenceAcrossProcessesTests
{
    [Fact]
    public async Task Two_processes_on_one_database_decide_each_silence_once()
    {
        await using var first = new ShortSilenceApiFactory();
        await ((IAsyncLifetime)first).InitializeAsync();
        await using var second = new SecondProcessApiFactory(first.ConnectionString);
        await ((IAsyncLifetime)second).InitializeAsync();
        var john = await first.NewAccountAsync();
        var johnOnSecond = new ApiClient(second.NewHttpClient());
        johnOnSecond.Http.DefaultRequestHeaders.Authorization = john.Http.DefaultRequestHeaders.Authorization;

        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var id = Uuid(await john.CreateInstanceAsync(("name", $"box{i}"), ("ask_price", "0.5")));
            ids.Add(id);
            var client = i % 2 == 0 ? john : johnOnSecond;
            (await client.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")).EnsureStatus(200);
            (await client.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
            (await (i % 3 == 0 ? johnOnSecond : john).GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
        }

        foreach (var id in ids) await SilenceTests.WaitForEvents(first, id, "instance_stopped");
        await Task.Delay(TimeSpan.FromSeconds(2)); // room for a duplicate to show

        foreach (var id in ids)
            Assert.Equal(["instance_registered", "instance_started", "instance_came_online", "instance_went_offline", "instance_stopped"],
                await first.EventTypesAsync(id));
    }

    [Fact]
    public async Task A_scheduled_check_survives_a_restart_of_the_process_that_scheduled_it()
    {
        string id, database;
        await using (var before = new ShortSilenceApiFactory())
        {
            await ((IAsyncLifetime)before).InitializeAsync();
            database = before.ConnectionString;
            var john = await before.NewAccountAsync();
            id = Uuid(await john.CreateInstanceAsync());
            (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")).EnsureStatus(200);
            (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
        } // stopped before the first check was due (1 s)

        await using var after = new SecondProcessApiFactory(database);
        await ((IAsyncLifetime)after).InitializeAsync();

        var types = await SilenceTests.WaitForEvents(after, id, "instance_stopped");
        Assert.Equal(["instance_registered", "instance_started", "instance_came_online", "instance_went_offline", "instance_stopped"], types);
    }
}
