using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;
using static Sharedcloud.Es.Api.Tests.Idempotency.IdempotencyKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Abuse;

/// <summary>
/// Low limits with long windows (a bucket refills its first token minutes after it is made), so that
/// the counts below are exact however slowly the tests run.
/// </summary>
public sealed class LowRateLimitsApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("RateLimits:Login:PermitLimit", "3");
        builder.UseSetting("RateLimits:Login:Window", "00:10:00");
        builder.UseSetting("RateLimits:SignUp:PermitLimit", "2");
        builder.UseSetting("RateLimits:SignUp:Window", "01:00:00");
        builder.UseSetting("RateLimits:Reads:PermitLimit", "5");
        builder.UseSetting("RateLimits:Reads:Window", "00:10:00");
        builder.UseSetting("RateLimits:Writes:PermitLimit", "3");
        builder.UseSetting("RateLimits:Writes:Window", "00:10:00");
    }
}

public static class ThrottleKit
{

    /// <summary>DRF's 429: the detail names the wait (DRF's singular for one second), and Retry-After says the same.</summary>
    public static int IsThrottled(this Reply reply, int maxSeconds)
    {
        reply.EnsureStatus(429);
        var retryAfter = reply.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        var seconds = (int)retryAfter.Value.TotalSeconds;
        Assert.InRange(seconds, 1, maxSeconds);
        var wait = seconds == 1 ? "1 second" : $"{seconds} seconds";
        reply.Is(429, new JsonObject { ["detail"] = $"Request was throttled. Expected available in {wait}." });
        return seconds;
    }

    /// <summary>A client whose connections come from another loopback address (Linux routes all of 127/8 to lo).</summary>
    public static ApiClient FromAddress(this ApiFactory api, string address)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new ApiClient(new HttpClient(handler) { BaseAddress = api.Address });
    }
}

/// <summary>Login and sign-up per client address. One host per test: the buckets belong to 127.0.0.1.</summary>
public sealed class LoginThrottlingTests(LowRateLimitsApiFactory api) : IClassFixture<LowRateLimitsApiFactory>
{
    [Fact]
    public async Task Logins_past_the_limit_are_429_whatever_the_password_and_another_address_is_not_held_up()
    {
        var anonymous = api.Anonymous();
        var name = TestHelpers.NewUsername();
        (await anonymous.SignUpAsync(name, $"{name}@example.com", "a-long-enough-passphrase")).EnsureStatus(201);

        await anonymous.LogInAsync(name, "a-long-enough-passphrase");
        (await anonymous.PostFormAsync("/api/v1/api-token-auth/", ("username", name), ("password", "wrong-guess-1")))
            .EnsureStatus(400);
        (await anonymous.PostFormAsync("/api/v1/api-token-auth/", ("username", name), ("password", "wrong-guess-2")))
            .EnsureStatus(400);
        var fourth = await anonymous.PostFormAsync("/api/v1/api-token-auth/", ("username", name), ("password", "a-long-enough-passphrase"));

        fourth.IsThrottled(maxSeconds: 200); // one token of 3 per 10 minutes: 200 s
        await api.FromAddress("127.0.0.2").LogInAsync(name, "a-long-enough-passphrase");
        // The sign-up bucket is another: one of its two is left.
        var other = TestHelpers.NewUsername();
        (await anonymous.SignUpAsync(other, $"{other}@example.com", "a-long-enough-passphrase")).EnsureStatus(201);
        var third = TestHelpers.NewUsername();
        (await anonymous.SignUpAsync(third, $"{third}@example.com", "a-long-enough-passphrase")).IsThrottled(maxSeconds: 1800);
        var stored = await api.QueryStringsAsync($"select count(*) from sharedcloud.mt_doc_accountdetails where data->>'Username' = '{third}'");
        Assert.Equal("0", Assert.Single(stored));
    }
}

/// <summary>Reads and writes per account, each its own bucket.</summary>
public sealed class AccountThrottlingTests(LowRateLimitsApiFactory api) : IClassFixture<LowRateLimitsApiFactory>
{
    private readonly ApiFactory _api = api;

    [Fact]
    public async Task Reads_past_the_limit_are_429_for_that_account_only()
    {
        var (john, jane) = await TwoAccountsAsync();
        for (var i = 0; i < 5; i++) (await john.GetAsync(InstancesUrl)).EnsureStatus(200);

        var sixth = await john.GetAsync("/api/v1/gpus/");

        sixth.IsThrottled(maxSeconds: 120);
        (await jane.GetAsync(InstancesUrl)).EnsureStatus(200);
        (await john.PostFormAsync(InstancesUrl, ("name", "still-writes"), ("ask_price", "0.5"))).EnsureStatus(201);
    }

    [Fact]
    public async Task A_throttled_write_does_nothing_and_its_idempotency_key_is_not_kept()
    {
        var (john, _) = await TwoAccountsAsync();
        var first = NewKey();
        (await john.PostWithKeyAsync(first, InstancesUrl, ("name", "one"), ("ask_price", "0.5"))).EnsureStatus(201);
        (await john.PostWithKeyAsync(first, InstancesUrl, ("name", "one"), ("ask_price", "0.5"))).EnsureStatus(201);
        (await john.PostFormAsync(InstancesUrl, ("name", "two"), ("ask_price", "0.5"))).EnsureStatus(201);
        var throttledKey = NewKey();

        var throttled = await john.PostWithKeyAsync(throttledKey, InstancesUrl, ("name", "three"), ("ask_price", "0.5"));
        var replay = await john.PostWithKeyAsync(first, InstancesUrl, ("name", "one"), ("ask_price", "0.5"));

        throttled.IsThrottled(maxSeconds: 200);
        replay.IsThrottled(maxSeconds: 200); // a replay is a request like its original
        Assert.Empty(await _api.StoredKeysAsync(throttledKey));
        var names = (await john.GetAsync(InstancesUrl)).EnsureStatus(200).Array.Select(i => i!["name"]!.GetValue<string>());
        Assert.Equal(["two", "one"], names);
    }

    [Fact]
    public async Task Health_checks_and_unauthenticated_calls_are_never_throttled()
    {
        var anonymous = _api.Anonymous();
        for (var i = 0; i < 12; i++)
        {
            (await anonymous.GetAsync("/health/live")).EnsureStatus(200);
            (await anonymous.GetAsync(InstancesUrl)).EnsureStatus(401);
        }
    }

    private async Task<(ApiClient, ApiClient)> TwoAccountsAsync()
    {
        // Sign-up and login share the host's address buckets; these accounts come from fresh addresses.
        var address = Interlocked.Increment(ref _nextAddress);
        return (await NewAccountFromAsync($"127.0.1.{address}"), await NewAccountFromAsync($"127.0.2.{address}"));
    }

    private static int _nextAddress;

    private async Task<ApiClient> NewAccountFromAsync(string address)
    {
        var from = _api.FromAddress(address);
        var name = TestHelpers.NewUsername();
        (await from.SignUpAsync(name, $"{name}@example.com", "a-long-enough-passphrase")).EnsureStatus(201);
        return _api.WithKey(await from.LogInAsync(name, "a-long-enough-passphrase"));
    }
}

/// <summary>Limits are checked at start-up.</summary>
public sealed class RateLimitsOptionsTests
{
    private sealed class NegativeLimitApiFactory : ApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("RateLimits:Reads:PermitLimit", "-1");
        }
    }

    [Fact]
    public async Task A_negative_limit_stops_the_start()
    {
        await using var factory = new NegativeLimitApiFactory();

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => ((IAsyncLifetime)factory).InitializeAsync());

        Assert.Contains("RateLimits:*:PermitLimit must be 0 (off) or more.", failure.ToString());
    }
}
