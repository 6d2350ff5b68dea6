using System.Diagnostics;
using System.Net;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Xunit.Abstractions;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Faults;

/// <summary>
/// PostgreSQL goes away (refusing connections, or silently dropping packets) and comes back, under one
/// running API: while it is away every route that needs it answers 503 with Retry-After within a
/// bounded time; afterwards the same requests succeed, without a restart, and nothing that was refused
/// was half written.
/// </summary>
public sealed class DatabaseOutageTests(ProxiedApiFactory api, ITestOutputHelper output) : IClassFixture<ProxiedApiFactory>
{
    private const string Unavailable = """{"detail":"Service temporarily unavailable."}""";

    /// <summary>
    /// The longest a request may take while the database is away: opening a connection or running a
    /// statement is bounded by the connection string's timeouts (2 s and 3 s here), plus Npgsql's wait
    /// for the server to confirm a cancelled statement (2 s), plus a margin for a loaded machine (8 s: a
    /// blackholed start took 12.1 s in one of ten clean-clone runs, session 10).
    /// </summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(
        ProxiedApiFactory.ConnectTimeoutSeconds + ProxiedApiFactory.CommandTimeoutSeconds + 2 + 8);

    private sealed record Call(string Name, Func<Task<Reply>> Send, int Success);

    /// <summary>One request of every route family; each one's success status once the database is back.</summary>
    private async Task<(Call[] Calls, ApiClient John, string Id)> ArrangeAsync(string tag)
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync(("name", "before"), ("ask_price", "0.02")));
        var anonymous = api.Anonymous();
        Call[] calls =
        [
            new("read instance", () => john.GetAsync(Url(id)), 200),
            new("list instances", () => john.GetAsync(InstancesUrl), 200),
            new("time travel", () => john.GetAsync(Url(id) + "?version=1"), 200),
            new("history", () => john.GetAsync(Url(id) + "events/"), 200),
            new("audit feed", () => john.GetAsync("/api/v1/audit/"), 200),
            new("account", () => john.GetAsync("/api/v1/users/account/"), 200),
            new("gpus", () => john.GetAsync("/api/v1/gpus/"), 200),
            new("images", () => john.GetAsync("/api/v1/images/"), 200),
            new("offers", () => john.GetAsync("/api/v1/offers/"), 200),
            new("poll", () => john.GetAsync(Url(id) + "get-jobs/"), 200),
            new("update", () => john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", $"renamed-{tag}")), 200),
            new("start", () => john.SendFormAsync(HttpMethod.Patch, Url(id) + "start/"), 200),
            new("create", () => john.PostFormAsync(InstancesUrl, ("name", $"created-{tag}"), ("ask_price", "0.5")), 201),
            new("update with Idempotency-Key", () => john.SendAsync(HttpMethod.Patch, Url(id),
                new FormUrlEncodedContent([new("ask_price", "0.75")]),
                r => r.Headers.Add("Idempotency-Key", $"outage-{tag}")), 200),
            new("login", () => anonymous.PostFormAsync("/api/v1/api-token-auth/", ("username", john.Username), ("password", john.Password)), 200),
            new("sign-up", () => anonymous.PostFormAsync("/api/v1/users/", ("username", $"newcomer{tag}"),
                ("email", $"newcomer{tag}@example.com"), ("password", "a-long-enough-passphrase")), 201),
        ];
        return (calls, john, id);
    }

    [Fact]
    public async Task While_the_server_refuses_connections_every_route_answers_503_and_afterwards_the_same_requests_succeed()
    {
        var (calls, john, id) = await ArrangeAsync("refused");
        var eventsBefore = await EventCountAsync();

        api.Proxy.Refuse();
        try
        {
            // One after another: each request finds the database away on its own.
            foreach (var call in calls) await AssertUnavailableAsync(call);
            await AssertReadinessAsync(ready: false);
        }
        finally
        {
            api.Proxy.Restore();
        }

        Assert.Equal(eventsBefore, await EventCountAsync()); // nothing refused was half written
        await AssertRecoveredAsync(calls, john, id, "refused");
    }

    [Fact]
    public async Task While_packets_vanish_every_route_answers_503_within_the_timeouts_and_afterwards_the_same_requests_succeed()
    {
        var (calls, john, id) = await ArrangeAsync("blackholed");
        var eventsBefore = await EventCountAsync();

        api.Proxy.Blackhole();
        try
        {
            // All at once, as clients would: each waits out its own timeout, and none longer.
            await Task.WhenAll(calls.Select(AssertUnavailableAsync).Append(AssertReadinessAsync(ready: false)));
        }
        finally
        {
            api.Proxy.Restore();
        }

        Assert.Equal(eventsBefore, await EventCountAsync());
        await AssertRecoveredAsync(calls, john, id, "blackholed");
    }

    private async Task AssertUnavailableAsync(Call call)
    {
        var clock = Stopwatch.StartNew();
        var reply = await call.Send();
        clock.Stop();
        output.WriteLine($"away: {call.Name}: {(int)reply.Status} in {clock.ElapsedMilliseconds} ms");
        Assert.True(reply.Status == HttpStatusCode.ServiceUnavailable, $"{call.Name}: {(int)reply.Status} {reply.Body}");
        reply.Is(503, Unavailable);
        Assert.Equal("5", reply.Headers.GetValues("Retry-After").Single());
        Assert.True(clock.Elapsed < Bound, $"{call.Name} took {clock.Elapsed}, more than {Bound}");
    }

    private async Task AssertReadinessAsync(bool ready)
    {
        var anonymous = api.Anonymous();
        var clock = Stopwatch.StartNew();
        var reply = await anonymous.GetAsync("/health/ready");
        output.WriteLine($"/health/ready: {(int)reply.Status} {reply.Body} in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(ready ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, reply.Status);
        Assert.True(clock.Elapsed < Bound, $"/health/ready took {clock.Elapsed}");
        (await anonymous.GetAsync("/health/live")).EnsureStatus(200); // the process itself is fine
    }

    private async Task AssertRecoveredAsync(Call[] calls, ApiClient john, string id, string tag)
    {
        // Back without a restart: readiness first (a load balancer's view), then every request once.
        var deadline = Stopwatch.StartNew();
        while ((await api.Anonymous().GetAsync("/health/ready")).Status != HttpStatusCode.OK)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), "/health/ready did not recover within 15 s");
            await Task.Delay(100);
        }
        output.WriteLine($"ready again after {deadline.ElapsedMilliseconds} ms");
        foreach (var call in calls)
        {
            var reply = await call.Send();
            output.WriteLine($"back: {call.Name}: {(int)reply.Status}");
            Assert.True((int)reply.Status == call.Success, $"{call.Name}: {(int)reply.Status} {reply.Body}");
        }

        // The refused writes are now applied exactly once, each by its retry.
        var instance = (await john.GetAsync(Url(id))).EnsureStatus(200).Object;
        Assert.Equal($"renamed-{tag}", instance["name"]!.GetValue<string>());
        Assert.Equal(0.75m, instance["ask_price"]!.GetValue<decimal>());
        Assert.Equal(2, instance["status"]!.GetValue<int>());
        Assert.Equal(["instance_registered", "instance_came_online", "instance_renamed", "instance_started", "instance_price_changed"],
            await EventTypesAsync(id));
        var names = (await john.GetAsync(InstancesUrl)).Array.Select(i => i!["name"]!.GetValue<string>()).Order();
        Assert.Equal(new[] { $"created-{tag}", $"renamed-{tag}" }, names);
    }

    private async Task<long> EventCountAsync()
    {
        await using var connection = new NpgsqlConnection(api.DirectConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from sharedcloud.mt_events", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<string[]> EventTypesAsync(string id)
    {
        await using var connection = new NpgsqlConnection(api.DirectConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select type from sharedcloud.mt_events where stream_id = $1 order by version", connection);
        command.Parameters.AddWithValue(Guid.Parse(id));
        var types = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) types.Add(reader.GetString(0));
        return types.ToArray();
    }
}
