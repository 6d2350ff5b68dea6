using System.Globalization;
using Marten;
using Sharedcloud.Es.Api.Auditing;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// Concurrency for writes: each attempt reads the stream in a fresh session and appends at the
/// version it read. Handlers that expect contention take the stream's row lock while they decide
/// (Marten's FetchForExclusiveWriting), so writers of one stream queue instead of failing; any
/// race that still gets through starts over on the new state. A writer waits for a lock at most
/// the lock timeout (<see cref="WriteOptions.LockTimeout"/>) per attempt, so a stuck holder costs
/// a bounded wait, not a hang. After a bounded number of lost races or lock waits the client gets
/// 409 and nothing is written.
/// </summary>
public static class Retry
{
    public const int MaxAttempts = 5;

    public const string ConflictDetail = "The object was changed by another request at the same time. Please retry.";

    public static async Task<T> OnConflict<T>(ISessionFactory sessions, Func<IDocumentSession, Task<T>> attempt,
        CancellationToken ct = default)
    {
        var lockTimeout = (sessions as AuditedSessions)?.LockTimeout ?? WriteOptions.DefaultLockTimeout;
        for (var i = 1; ; i++)
        {
            await using var session = sessions.OpenSession();
            try
            {
                await BoundLockWaits(session, lockTimeout, ct);
                return await attempt(session);
            }
            catch (Exception e) when (DatabaseFaults.IsConflict(e) && i < MaxAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * i), ct);
            }
            catch (Exception e) when (DatabaseFaults.IsConflict(e))
            {
                throw new ConflictException(ConflictDetail);
            }
        }
    }

    /// <summary>
    /// Opens the attempt's transaction with PostgreSQL's lock_timeout set for it alone (SET LOCAL), so
    /// that the lock waits of this write, and of nothing else, are bounded.
    /// </summary>
    private static async Task BoundLockWaits(IDocumentSession session, TimeSpan lockTimeout, CancellationToken ct)
    {
        await session.BeginTransactionAsync(ct);
        await using var command = session.Connection!.CreateCommand();
        command.CommandText = "set local lock_timeout = " +
                              ((long)Math.Ceiling(lockTimeout.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>Settings of the write path (section <c>Writes</c>).</summary>
public sealed class WriteOptions
{
    public const string Section = "Writes";
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long one attempt of a write waits for its stream's lock before it counts as a conflict.</summary>
    public TimeSpan LockTimeout { get; set; } = DefaultLockTimeout;
}
