using System.Diagnostics;
using Npgsql;

namespace Sharedcloud.Es.Api.Infrastructure.Idempotency;

/// <summary>
/// A PostgreSQL advisory lock on one (account, key), held on a connection of its own for the
/// duration of a request: requests with one key take turns, across API processes. A process that
/// dies loses its connection, and the server releases the lock with it.
/// </summary>
public sealed class KeyLock : IAsyncDisposable
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(100);

    private readonly string _name;
    private readonly ILogger _logger;

    private KeyLock(NpgsqlConnection connection, string name, ILogger logger) =>
        (Connection, _name, _logger) = (connection, name, logger);

    /// <summary>The connection that holds the lock; the key's record is read and written on it.</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>
    /// The lock's name; hashtextextended maps it onto the 64-bit advisory lock space, where a collision
    /// of two keys only makes them take turns.
    /// </summary>
    public static string NameFor(Guid accountId, string key) => $"sharedcloud/idempotency/{accountId:N}/{key}";

    /// <summary>The lock, or null when another request still held it after <paramref name="timeout"/>.</summary>
    public static async Task<KeyLock?> TryAcquireAsync(NpgsqlDataSource dataSource, Guid accountId, string key,
        TimeSpan timeout, ILogger logger, CancellationToken ct)
    {
        var name = NameFor(accountId, key);
        var started = Stopwatch.GetTimestamp();
        var pause = FirstPause;
        while (true)
        {
            // Polled with pg_try_advisory_lock on a connection given back between tries, so that
            // waiters do not hold pool connections. The query itself is not cancelled: a lock taken
            // by a query whose answer we dropped would stay with the pooled connection.
            var connection = await dataSource.OpenConnectionAsync(ct);
            try
            {
                await using var command = new NpgsqlCommand("select pg_try_advisory_lock(hashtextextended($1, 0))", connection);
                command.Parameters.AddWithValue(name);
                if ((bool)(await command.ExecuteScalarAsync(CancellationToken.None))!)
                    return new KeyLock(connection, name, logger);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
            await connection.DisposeAsync();

            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero) return null;
            await Task.Delay(pause < remaining ? pause : remaining, ct);
            pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A pooled connection's session outlives Dispose, and its lock with it: unlock explicitly.
        try
        {
            await using var command = new NpgsqlCommand("select pg_advisory_unlock(hashtextextended($1, 0))", Connection);
            command.Parameters.AddWithValue(_name);
            await command.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            // The connection is most likely broken, and the server released the lock with it. In case it is
            // not, the pool is cleared: the connection is then closed when disposed, not handed out again.
            _logger.LogWarning(e, "Could not release an Idempotency-Key lock");
            NpgsqlConnection.ClearPool(Connection);
        }
        finally
        {
            await Connection.DisposeAsync();
        }
    }
}
