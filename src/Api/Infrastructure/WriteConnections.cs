using System.Globalization;
using Npgsql;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// The connections writes run on: the store's own, except that PostgreSQL's <c>lock_timeout</c> is set for their whole
/// session when they are opened (the startup packet's options), so that a write's lock waits are bounded without a
/// statement of its own in every transaction. A pool of their own: nothing else (the daemon, Wolverine's agents,
/// schema migrations at start-up) inherits the bound.
/// </summary>
public sealed class WriteConnections(string connectionString, TimeSpan lockTimeout)
{
    /// <summary>The connection string of the writes' pool (Npgsql keeps one pool per connection string).</summary>
    public string ConnectionString { get; } = new NpgsqlConnectionStringBuilder(connectionString)
    {
        NoResetOnClose = true, // sessions leave no state behind, as the store's connections (MartenConfiguration)
        Options = "-c lock_timeout=" + ((long)Math.Ceiling(lockTimeout.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture),
        ApplicationName = "sharedcloud-writes",
    }.ConnectionString;

    /// <summary>Drops the pooled connections (after the database was found gone).</summary>
    public void Clear()
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        NpgsqlConnection.ClearPool(connection);
    }
}
