using System.Data.Common;
using System.Net.Sockets;
using JasperFx;
using Marten;
using Marten.Exceptions;
using Npgsql;
using Weasel.Postgresql;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// What a failure of PostgreSQL means for a request: the database is out of reach (503, try again
/// later), or another writer holds the object (a conflict, retried and then 409). Marten and Npgsql
/// wrap the cause in one or more layers, so the whole exception graph is looked at.
/// </summary>
public static class DatabaseFaults
{
    public const string UnavailableDetail = "Service temporarily unavailable.";

    /// <summary>Seconds a client is asked to wait after a 503; about as long as a database restart.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>
    /// PostgreSQL could not be reached, did not answer in time, or refused work for now: the network or
    /// the server failed (any Npgsql failure that is not an answer from PostgreSQL), a timeout (connect,
    /// command, or waiting for a pooled connection), a server shutting down or starting up, or out of
    /// connections or resources.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => Flatten(exception).Any(e => e switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
                               || p.SqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources
                               || p.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                                   or PostgresErrorCodes.CannotConnectNow
                                   or PostgresErrorCodes.QueryCanceled, // statement_timeout
        NpgsqlException => true,
        TimeoutException or SocketException or IOException => true,
        _ => false,
    });

    /// <summary>
    /// The connection itself died (the server restarted, or the network dropped it). The pool's idle
    /// connections most likely died with it; Npgsql does not check them before handing them out.
    /// Timeouts are not counted: under load they would empty the pool when it is needed most.
    /// </summary>
    public static bool IsConnectionLost(Exception exception) => Flatten(exception).Any(e => e switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal)
                               || p.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown,
        SocketException or IOException => true,
        _ => false,
    });

    /// <summary>Another writer won the race for the stream, or held its lock past the lock timeout.</summary>
    public static bool IsConflict(Exception exception) => Flatten(exception).Any(e =>
        e is ConcurrencyException or StreamLockedException
        || e is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected });

    /// <summary>PostgreSQL answered with this SQLSTATE (a constraint, or an error raised by our own SQL).</summary>
    public static bool HasState(Exception exception, string sqlState) =>
        Flatten(exception).Any(e => e is PostgresException p && p.SqlState == sqlState);

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        var pending = new Stack<Exception>([exception]);
        var seen = 0;
        while (pending.Count > 0 && seen++ < 32)
        {
            var e = pending.Pop();
            yield return e;
            if (e is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions) pending.Push(inner);
            else if (e.InnerException is { } inner) pending.Push(inner);
        }
    }
}

/// <summary>
/// Defaults for the connection string: bounds on how long a request can wait on PostgreSQL, and statements
/// prepared on the server once they repeat.
/// </summary>
public static class DatabaseConnection
{
    /// <summary>Seconds to open a connection or wait for a pooled one (Npgsql's own default is 15).</summary>
    public const int DefaultConnectTimeout = 5;

    /// <summary>Seconds a statement may run (Npgsql's own default is 30).</summary>
    public const int DefaultCommandTimeout = 10;

    /// <summary>
    /// Statements each connection keeps prepared (Npgsql's automatic preparation, off by default). The service
    /// sends a few dozen distinct statements, each thousands of times; prepared, PostgreSQL stops parsing and
    /// planning them on every execution (the README's benchmark section has what it saved).
    /// </summary>
    public const int DefaultMaxAutoPrepare = 64;

    /// <summary>
    /// The connection string with <c>Timeout</c>, <c>Command Timeout</c> and <c>Max Auto Prepare</c> added where
    /// it does not set them.
    /// </summary>
    /// <param name="prepare">
    /// Whether statements are prepared (<see cref="DefaultMaxAutoPrepare"/>) or not (0). The command line's
    /// commands do not: a prepared statement gets PostgreSQL's generic plan after five executions, and the one
    /// of Marten's event pages (<c>seq_id &gt; $1 and seq_id &lt;= $2 ... order by seq_id limit n</c>, joined to
    /// the streams) hash-joins and sorts every event above the page's floor, so a long rebuild slows down page by
    /// page (README, replay). A batch job gains nothing from skipping the planner.
    /// </param>
    public static string WithDefaults(string connectionString, bool prepare = true)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Npgsql's builder reports every known keyword as present; its normalised string holds only the given ones.
        var given = new DbConnectionStringBuilder { ConnectionString = builder.ConnectionString };
        if (!given.ContainsKey("Timeout")) builder.Timeout = DefaultConnectTimeout;
        if (!given.ContainsKey("Command Timeout")) builder.CommandTimeout = DefaultCommandTimeout;
        if (!given.ContainsKey("Max Auto Prepare")) builder.MaxAutoPrepare = prepare ? DefaultMaxAutoPrepare : 0;
        return builder.ConnectionString;
    }
}

/// <summary>
/// The process's connection pools: Marten's (reads, the daemon, Wolverine's outbox), the write path's
/// (<see cref="WriteConnections"/>) and the raw data source
/// (authentication's listener, polls, audit reads, Idempotency-Key locks). When a connection is found
/// dead, both are cleared, so that the next requests open fresh connections instead of finding the
/// other dead ones one by one.
/// </summary>
public sealed class DatabasePools(IDocumentStore store, NpgsqlDataSource dataSource, WriteConnections writes,
    ILogger<DatabasePools> logger)
{
    private long _lastClear;

    public void ClearAfter(Exception exception)
    {
        if (!DatabaseFaults.IsConnectionLost(exception)) return;
        // One clear per second is plenty: requests failing together would otherwise each clear the pools.
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastClear);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _lastClear, now, last) != last) return;
        logger.LogWarning("A database connection was lost; clearing the connection pools");
        dataSource.Clear();
        writes.Clear();
        if (store.Storage.Database is PostgresqlDatabase marten) marten.DataSource.Clear();
    }
}
