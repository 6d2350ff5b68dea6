using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Xunit.Abstractions;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;
using Sharedcloud.Es.Api.Tests.Jobs;

namespace Sharedcloud.Es.Api.Tests.Faults;

/// <summary>
/// Dozens of writers on one object at once: they queue on its stream's lock and every update is
/// applied, once, in some order; the read model is what replaying the events gives.
/// </summary>
public sealed class ConcurrentWritersTests(ApiFactory api, ITestOutputHelper output) : IClassFixture<ApiFactory>
{
    private static readonly string[] CpuImages =
        ["sharedcloud/web-crawling-python36:latest", "sharedcloud/web-crawling-python27:latest"];

    [Fact]
    public async Task Fifty_mixed_writers_on_one_instance_all_succeed_and_none_is_lost()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync(("name", "box"), ("ask_price", "1")));
        var url = Url(id);

        // Each writer changes something observable: a name or a price of its own, the status, an image.
        var writers = Enumerable.Range(0, 50).Select<int, (string What, Func<Task<Reply>> Send)>(i => (i % 5) switch
        {
            0 => ($"name w{i:00}", () => john.SendFormAsync(HttpMethod.Patch, url, ("name", $"w{i:00}"))),
            1 => ($"price {Price(i)}", () => john.SendFormAsync(HttpMethod.Patch, url, ("ask_price", Price(i)))),
            2 => (i / 5 % 2 == 0 ? "start" : "stop", () => john.SendFormAsync(HttpMethod.Patch, url + (i / 5 % 2 == 0 ? "start/" : "stop/"))),
            3 => ("add image", () => john.SendFormAsync(HttpMethod.Patch, url + "add-image/", ("image_registry_path", CpuImages[i / 5 % 2]))),
            _ => ("delete image", () => john.SendFormAsync(HttpMethod.Patch, url + "delete-image/", ("image_registry_path", CpuImages[i / 5 % 2]))),
        }).ToArray();

        var replies = await AllAtOnce(writers.Select(w => w.Send));
        for (var i = 0; i < writers.Length; i++)
            Assert.True(replies[i].Status == HttpStatusCode.OK, $"{writers[i].What}: {(int)replies[i].Status} {replies[i].Body}");

        var events = await api.EventsAsync(id);
        output.WriteLine($"{writers.Length} writers, {events.Count - 1} events appended");
        Assert.Equal(Enumerable.Range(1, events.Count).Select(v => (long)v), events.Select(e => e.Version));
        var renames = events.Where(e => e.Type == "instance_renamed").Select(e => e.Data["name"]!.GetValue<string>()).Order();
        Assert.Equal(Enumerable.Range(0, 50).Where(i => i % 5 == 0).Select(i => $"w{i:00}"), renames);
        var prices = events.Where(e => e.Type == "instance_price_changed").Select(e => e.Data["ask_price"]!.GetValue<decimal>()).Order();
        Assert.Equal(Enumerable.Range(0, 50).Where(i => i % 5 == 1).Select(i => decimal.Parse(Price(i))), prices);

        await AssertReadModelIsTheReplayAsync(john, url);
        var final = (await john.GetAsync(url)).Object;
        Assert.Equal(events.Last(e => e.Type == "instance_renamed").Data["name"]!.GetValue<string>(), final["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Thirty_concurrent_account_changes_are_each_applied_or_refused_for_the_rotated_key()
    {
        var john = await api.NewAccountAsync();
        var emails = Enumerable.Range(0, 30).Select(i => $"john{i:00}@example.com").ToArray();

        var replies = await AllAtOnce(emails.Select<string, Func<Task<Reply>>>(email =>
            () => john.SendFormAsync(HttpMethod.Patch, "/api/v1/users/account/", ("email", email))));

        // Every change rotates the key: a request that authenticated after the first commit has a dead key (401).
        // None may fail otherwise, and every one that answered 200 is in the history.
        var applied = new List<string>();
        for (var i = 0; i < emails.Length; i++)
        {
            Assert.True(replies[i].Status is HttpStatusCode.OK or HttpStatusCode.Unauthorized, $"{(int)replies[i].Status} {replies[i].Body}");
            if (replies[i].Status == HttpStatusCode.OK) applied.Add(emails[i]);
        }
        output.WriteLine($"{applied.Count} of {emails.Length} answered 200, the others 401");
        Assert.NotEmpty(applied);

        var key = await api.Anonymous().LogInAsync(john.Username, john.Password);
        var account = (await api.Anonymous().SendAsync(HttpMethod.Get, "/api/v1/users/account/", null,
            r => r.Headers.TryAddWithoutValidation("Authorization", $"Token {key}"))).EnsureStatus(200).Object;
        var events = await api.EventsAsync(account["uuid"]!.GetValue<string>());
        var changed = events.Where(e => e.Type == "account_email_changed").Select(e => e.Data["email"]!.GetValue<string>()).ToArray();
        Assert.Equal(applied.Order(), changed.Order());
        Assert.Equal(changed[^1], account["email"]!.GetValue<string>());
        Assert.Equal(Enumerable.Range(1, events.Count).Select(v => (long)v), events.Select(e => e.Version));
    }

    private static string Price(int i) => $"1.{i:000}";

    internal static async Task<Reply[]> AllAtOnce(IEnumerable<Func<Task<Reply>>> sends)
    {
        using var start = new SemaphoreSlim(0);
        var tasks = sends.Select(async send =>
        {
            await start.WaitAsync();
            return await send();
        }).ToArray();
        start.Release(tasks.Length);
        return await Task.WhenAll(tasks);
    }

    /// <summary>The stored read model equals the instance folded from its events at its current version.</summary>
    internal static async Task AssertReadModelIsTheReplayAsync(ApiClient client, string url)
    {
        var current = (await client.GetAsync(url)).EnsureStatus(200);
        var version = current.Headers.ETag!.Tag.Trim('"');
        var replayed = (await client.GetAsync($"{url}?version={version}")).EnsureStatus(200);
        Assert.Equal(WithoutServerTime(current.Object), WithoutServerTime(replayed.Object));
    }

    internal static string WithoutServerTime(JsonObject instance)
    {
        var copy = instance.DeepClone().AsObject();
        copy.Remove("current_server_time");
        return copy.ToJsonString();
    }
}

/// <summary>An API whose writes wait at most 250 ms per attempt for a stream's lock.</summary>
public sealed class ShortLockWaitApiFactory : ApiFactory
{
    public static readonly TimeSpan LockTimeout = TimeSpan.FromMilliseconds(250);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Writes:LockTimeout", LockTimeout.ToString());
    }
}

/// <summary>
/// A writer that cannot get an object's lock (another transaction holds it) tries again a bounded
/// number of times, then answers 409 with a clear message, having written nothing.
/// </summary>
public sealed class LockedStreamTests(ShortLockWaitApiFactory api, ITestOutputHelper output) : IClassFixture<ShortLockWaitApiFactory>
{
    private const string Conflict = """{"detail":"The object was changed by another request at the same time. Please retry."}""";

    [Fact]
    public async Task Every_write_to_a_stream_locked_past_the_retries_answers_409_and_succeeds_once_it_is_free()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        var accountId = (await john.GetAsync("/api/v1/users/account/")).Object["uuid"]!.GetValue<string>();
        (string What, Func<Task<Reply>> Send)[] writes =
        [
            ("update", () => john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", "renamed"))),
            ("replace", () => john.SendFormAsync(HttpMethod.Put, Url(id), ("name", "replaced"), ("ask_price", "0.5"))),
            ("start", () => john.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")),
            ("add image", () => john.SendFormAsync(HttpMethod.Patch, Url(id) + "add-image/",
                ("image_registry_path", "sharedcloud/web-crawling-python36:latest"))),
            ("account", () => john.SendFormAsync(HttpMethod.Patch, "/api/v1/users/account/", ("email", "new@example.com"))),
        ];
        var eventsBefore = (await api.EventsAsync(id)).Count + (await api.EventsAsync(accountId)).Count;

        // Another transaction holds both streams' rows, as a writer stuck mid-transaction would.
        await using (var holder = new NpgsqlConnection(api.ConnectionString))
        {
            await holder.OpenAsync();
            await using var transaction = await holder.BeginTransactionAsync();
            await using (var lockRows = new NpgsqlCommand("select 1 from sharedcloud.mt_streams where id = any($1) for update", holder, transaction))
            {
                lockRows.Parameters.AddWithValue(new[] { Guid.Parse(id), Guid.Parse(accountId) });
                await lockRows.ExecuteNonQueryAsync();
            }

            var clock = Stopwatch.StartNew();
            var replies = await ConcurrentWritersTests.AllAtOnce(writes.Select(w => w.Send));
            output.WriteLine($"all answered within {clock.ElapsedMilliseconds} ms");
            for (var i = 0; i < writes.Length; i++)
            {
                Assert.True(replies[i].Status == HttpStatusCode.Conflict, $"{writes[i].What}: {(int)replies[i].Status} {replies[i].Body}");
                replies[i].Is(409, Conflict);
            }
            // Five attempts of 250 ms each, and a little: bounded, well short of the command timeout.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            Assert.True(clock.Elapsed >= 5 * ShortLockWaitApiFactory.LockTimeout, $"gave up after {clock.Elapsed}");
            await transaction.RollbackAsync();
        }

        Assert.Equal(eventsBefore, (await api.EventsAsync(id)).Count + (await api.EventsAsync(accountId)).Count);
        foreach (var (what, send) in writes)
        {
            var reply = await send();
            Assert.True(reply.Status == HttpStatusCode.OK, $"{what} after release: {(int)reply.Status} {reply.Body}");
        }
    }
}

/// <summary>The marketplace with <see cref="ShortLockWaitApiFactory"/>'s short lock waits.</summary>
public sealed class ShortLockWaitMarketplaceFactory : MarketplaceApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Writes:LockTimeout", ShortLockWaitApiFactory.LockTimeout.ToString());
    }
}

/// <summary>
/// A lock that a write first meets in its save's batch (a report's move of its instance's counters, which waits for a
/// writer of the instance) is bounded as the stream's own lock is: the whole write starts over on fresh state, 409 after
/// the last attempt, nothing written. (Marten's own retry of a failed batch would replay it inside the aborted
/// transaction, or in a new one without the stream's lock.)
/// </summary>
public sealed class LockedInTheSaveTests(ShortLockWaitMarketplaceFactory api) : IClassFixture<ShortLockWaitMarketplaceFactory>, IAsyncLifetime
{
    private const string Conflict = """{"detail":"The object was changed by another request at the same time. Please retry."}""";

    public Task InitializeAsync() => api.LeaveAsync();

    public Task DisposeAsync() => api.LeaveAsync();

    [Fact]
    public async Task A_report_whose_instance_stays_locked_answers_409_writes_nothing_and_succeeds_once_it_is_free()
    {
        var consumer = await api.NewBetaAccountAsync();
        var provider = await api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "((1,),)");
        var machine = await provider.StartMachineAsync(parallel: 1);
        var job = (await provider.PollAsync(machine)).Single()!["job_uuid"]!.GetValue<string>();
        var eventsBefore = (await api.EventsAsync(job)).Count;

        await using (var holder = new NpgsqlConnection(api.ConnectionString))
        {
            await holder.OpenAsync();
            await using var transaction = await holder.BeginTransactionAsync();
            await using (var lockRow = new NpgsqlCommand("select 1 from sharedcloud.mt_streams where id = $1 for update", holder, transaction))
            {
                lockRow.Parameters.AddWithValue(Guid.Parse(machine));
                await lockRow.ExecuteNonQueryAsync();
            }
            (await provider.ReportAsync(job, ("status", "2"))).Is(409, Conflict);
            await transaction.RollbackAsync();
        }

        Assert.Equal(eventsBefore, (await api.EventsAsync(job)).Count);
        Assert.Equal(1, (await consumer.JobsAsync()).Single()!["status"]!.GetValue<int>());
        (await provider.ReportAsync(job, ("status", "2"))).EnsureStatus(200);
        Assert.Equal(eventsBefore + 1, (await api.EventsAsync(job)).Count);
        var instance = (await provider.GetAsync($"/api/v1/instances/{machine}/")).EnsureStatus(200).Object;
        Assert.Equal(0, instance["num_assigned_jobs"]!.GetValue<int>());
        Assert.Equal(1, instance["num_running_jobs"]!.GetValue<int>());
    }
}
