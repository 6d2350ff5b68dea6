using Marten;
using Npgsql;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// Database objects of the service's own that Marten does not manage (procedures, triggers), created at start-up after
/// Marten's migrations. Processes starting together take turns (an advisory lock for the transaction): two
/// <c>create or replace</c> of one object at once collide in the catalog.
/// </summary>
public static class StartupSql
{
    public static async Task ApplyAsync(IDocumentStore store, long migrationLock, IEnumerable<string> statements,
        CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { new NpgsqlBatchCommand("select pg_advisory_xact_lock($1)") { Parameters = { new() { Value = migrationLock } } } },
        };
        foreach (var statement in statements) batch.BatchCommands.Add(new NpgsqlBatchCommand(statement));
        await batch.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }
}
