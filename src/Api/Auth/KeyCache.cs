using System.Collections.Concurrent;
using Npgsql;
using Sharedcloud.Es.Api.Infrastructure;

namespace Sharedcloud.Es.Api.Auth;

/// <summary>
/// Remembers which account a key digest belongs to, so that most requests authenticate without a
/// database round trip. A key stops working everywhere at once when it is rotated or its account
/// deleted: the writer evicts it locally before answering, and tells every other API process
/// through PostgreSQL NOTIFY in the same transaction. While this process is not listening (at
/// start-up, or after losing the connection) the cache is bypassed, so a missed notification can
/// never leave a revoked key usable.
/// </summary>
/// <summary>The account a key belongs to, and its username (recorded as the actor of its changes).</summary>
public sealed record KeyOwner(Guid AccountId, string Username);

public sealed class KeyCache(NpgsqlDataSource dataSource, DatabasePools pools, ILogger<KeyCache> logger) : BackgroundService
{
    public const string Channel = "sharedcloud_key_revoked";

    /// <summary>
    /// A listener hears nothing from a server that vanished without closing the connection (a network
    /// partition, a replaced host): after this much quiet it asks, and a dead connection then fails
    /// within the command timeout, taking the cache out of use.
    /// </summary>
    private static readonly TimeSpan QuietBeforePing = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan EntryLifetime = TimeSpan.FromMinutes(5);
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, (KeyOwner Owner, long ExpiresAt)> _entries = new();
    private long _generation;
    private volatile bool _listening;

    /// <summary>Taken before a database lookup and handed back to <see cref="Remember"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool TryGet(string digest, out KeyOwner owner)
    {
        owner = default!;
        if (!_listening || !_entries.TryGetValue(digest, out var entry)) return false;
        if (entry.ExpiresAt < Environment.TickCount64)
        {
            _entries.TryRemove(digest, out _);
            return false;
        }
        owner = entry.Owner;
        return true;
    }

    /// <summary>Caches a lookup unless a revocation happened since it started (it may be stale).</summary>
    public void Remember(string digest, KeyOwner owner, long generation)
    {
        if (!_listening || generation != Generation) return;
        if (_entries.Count >= MaxEntries) _entries.Clear();
        _entries[digest] = (owner, Environment.TickCount64 + (long)EntryLifetime.TotalMilliseconds);
    }

    public void Evict(string digest)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(digest, out _);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Evict(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                _listening = true;
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (await connection.WaitAsync(QuietBeforePing, stoppingToken)) continue;
                    await using var ping = new NpgsqlCommand("select 1", connection);
                    await ping.ExecuteScalarAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Lost the key revocation listener; authenticating against the database until it is back");
                // Usually the first to notice a restarted server: the pools' idle connections died with this one.
                pools.ClearAfter(e);
            }
            finally
            {
                _listening = false;
                Interlocked.Increment(ref _generation);
                _entries.Clear();
            }
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
        }
    }
}
