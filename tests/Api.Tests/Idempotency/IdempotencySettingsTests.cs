using System.Net;
using Microsoft.AspNetCore.Hosting;
using Npgsql;
using Sharedcloud.Es.Api.Infrastructure.Idempotency;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Idempotency.IdempotencyKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Idempotency;

/// <summary>A host with a one-minute retention and a two-second wait for a key's lock; cleanup as by default.</summary>
public sealed class ShortRetentionApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Idempotency:Retention", "00:01:00");
        builder.UseSetting("Idempotency:LockTimeout", "00:00:02");
    }
}

/// <summary>A host that deletes expired keys five times a second.</summary>
public sealed class FrequentCleanupApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Idempotency:Retention", "00:01:00");
        builder.UseSetting("Idempotency:CleanupInterval", "00:00:00.2");
    }
}

/// <summary>Retention and the wait for a request in flight, as configured.</summary>
public sealed class IdempotencyRetentionTests(ShortRetentionApiFactory api) : IClassFixture<ShortRetentionApiFactory>
{
    private static readonly (string, string)[] Box = [("name", "box"), ("ask_price", "0.5")];

    [Fact]
    public async Task A_key_older_than_the_retention_can_be_used_again()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();
        (await john.PostWithKeyAsync(key, InstancesUrl, Box)).EnsureStatus(201);
        await api.AgeKeyAsync(key, TimeSpan.FromMinutes(2));

        var reused = await john.PostWithKeyAsync(key, InstancesUrl, ("name", "other"), ("ask_price", "1"));

        reused.EnsureStatus(201);
        Assert.False(reused.IsReplayed());
        Assert.Equal(2, (await john.GetAsync(InstancesUrl)).Array.Count);
        var record = Assert.Single(await api.StoredKeysAsync(key));
        Assert.True(record.Age < TimeSpan.FromMinutes(1), $"the record was not renewed: {record.Age} old");
    }

    [Fact]
    public async Task A_key_within_the_retention_is_still_replayed()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();
        var first = (await john.PostWithKeyAsync(key, InstancesUrl, Box)).EnsureStatus(201);
        await api.AgeKeyAsync(key, TimeSpan.FromSeconds(50));

        var retry = (await john.PostWithKeyAsync(key, InstancesUrl, Box)).EnsureStatus(201);

        Assert.True(retry.IsReplayed());
        Assert.Equal(first.Body, retry.Body);
        Assert.Single((await john.GetAsync(InstancesUrl)).Array);
    }

    [Fact]
    public async Task A_repeat_waits_for_the_request_holding_its_key()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();
        await using var holder = await HoldLockAsync(await john.AccountIdAsync(), key);

        var waiting = john.PostWithKeyAsync(key, InstancesUrl, Box);
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted, "the request did not wait for the key's lock");
        await holder.CloseAsync();

        (await waiting).EnsureStatus(201);
        Assert.Single((await john.GetAsync(InstancesUrl)).Array);
    }

    [Fact]
    public async Task A_repeat_that_waits_longer_than_the_lock_timeout_is_409_and_does_nothing()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();
        await using var holder = await HoldLockAsync(await john.AccountIdAsync(), key);

        var reply = await john.PostWithKeyAsync(key, InstancesUrl, Box);

        reply.IsDetail(409, IdempotencyMiddleware.InProgress);
        Assert.Equal("1", reply.Headers.RetryAfter?.ToString());
        Assert.Empty((await john.GetAsync(InstancesUrl)).Array);
        Assert.Empty(await api.StoredKeysAsync(key));

        await holder.CloseAsync(); // the holder's session ends, and its lock with it
        (await john.PostWithKeyAsync(key, InstancesUrl, Box)).EnsureStatus(201);
    }

    /// <summary>Takes the key's advisory lock as a request in flight (or a crashed process's session) would.</summary>
    private async Task<NpgsqlConnection> HoldLockAsync(Guid accountId, string key)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(api.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select pg_advisory_lock(hashtextextended($1, 0))", connection);
        command.Parameters.AddWithValue(KeyLock.NameFor(accountId, key));
        await command.ExecuteNonQueryAsync();
        return connection;
    }
}

/// <summary>The background cleanup of expired keys.</summary>
public sealed class IdempotencyCleanupTests(FrequentCleanupApiFactory api) : IClassFixture<FrequentCleanupApiFactory>
{
    [Fact]
    public async Task Expired_keys_are_deleted_and_live_ones_kept()
    {
        var john = await api.NewAccountAsync();
        var expired = NewKey();
        var live = NewKey();
        (await john.PostWithKeyAsync(expired, InstancesUrl, ("name", "old"), ("ask_price", "1"))).EnsureStatus(201);
        (await john.PostWithKeyAsync(live, InstancesUrl, ("name", "new"), ("ask_price", "1"))).EnsureStatus(201);

        await api.AgeKeyAsync(expired, TimeSpan.FromMinutes(2));

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await api.StoredKeysAsync(expired)).Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the expired key was not deleted within 15 s");
            await Task.Delay(50);
        }
        Assert.Equal(201, Assert.Single(await api.StoredKeysAsync(live)).Status);
        Assert.Equal(HttpStatusCode.Created, (await john.PostWithKeyAsync(live, InstancesUrl, ("name", "new"), ("ask_price", "1"))).Status);
        Assert.Equal(2, (await john.GetAsync(InstancesUrl)).Array.Count);
    }
}

/// <summary>Settings are checked at start-up.</summary>
public sealed class IdempotencyOptionsTests
{
    private sealed class ZeroRetentionApiFactory : ApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Idempotency:Retention", "00:00:00");
        }
    }

    [Fact]
    public async Task A_retention_of_zero_stops_the_start()
    {
        await using var factory = new ZeroRetentionApiFactory();

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => ((IAsyncLifetime)factory).InitializeAsync());

        Assert.Contains("Idempotency:Retention must be positive.", failure.ToString());
    }
}
