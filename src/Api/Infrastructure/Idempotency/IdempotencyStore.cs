using System.Text.Json;
using Marten;
using Npgsql;
using NpgsqlTypes;
using Sharedcloud.Es.Projections;
using Weasel.Postgresql.Tables;

namespace Sharedcloud.Es.Api.Infrastructure.Idempotency;

/// <summary>A key's record: the request it was first used with and, once known, the response.</summary>
public sealed record StoredRequest(byte[] RequestHash, bool Expired, int? Status, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>The table <c>sharedcloud.idempotency_keys</c> and the statements over it.</summary>
public static class IdempotencyStore
{
    public const string TableName = MartenConfiguration.Schema + ".idempotency_keys";

    /// <summary>The table (migrated at start-up with Marten's own) and the listener that claims keys in a write's transaction.</summary>
    public static void Configure(StoreOptions opts)
    {
        var table = new Table(TableName);
        table.AddColumn<Guid>("account_id").AsPrimaryKey();
        table.AddColumn("key", "text").AsPrimaryKey();
        table.AddColumn("request_hash", "bytea").NotNull();
        table.AddColumn("created_at", "timestamptz").NotNull();
        table.AddColumn("status", "integer");
        table.AddColumn("headers", "jsonb");
        table.AddColumn("body", "bytea");
        table.Indexes.Add(new IndexDefinition("idx_idempotency_keys_created_at") { Columns = ["created_at"] });
        opts.Storage.ExtendedSchemaObjects.Add(table);
        opts.Listeners.Add(new IdempotencyListener());
    }

    public static async Task<StoredRequest?> FindAsync(NpgsqlConnection connection, Guid accountId, string key,
        TimeSpan retention, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select request_hash, created_at < now() - $3, status, headers::text, body from {TableName} where account_id = $1 and key = $2",
            connection);
        command.Parameters.AddWithValue(accountId);
        command.Parameters.AddWithValue(key);
        command.Parameters.AddWithValue(retention);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new StoredRequest(
            RequestHash: reader.GetFieldValue<byte[]>(0),
            Expired: reader.GetBoolean(1),
            Status: reader.IsDBNull(2) ? null : reader.GetInt32(2),
            Headers: reader.IsDBNull(3) ? new Dictionary<string, string>()
                : JsonSerializer.Deserialize(reader.GetString(3), IdempotencyJson.Default.DictionaryStringString)!,
            Body: reader.IsDBNull(4) ? [] : reader.GetFieldValue<byte[]>(4));
    }

    public static async Task DeleteAsync(NpgsqlConnection connection, Guid accountId, string key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"delete from {TableName} where account_id = $1 and key = $2", connection);
        command.Parameters.AddWithValue(accountId);
        command.Parameters.AddWithValue(key);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Stores the response; the record may already exist, written by the request's own transaction.</summary>
    public static async Task SaveResponseAsync(NpgsqlConnection connection, IdempotencyClaim claim, int status,
        Dictionary<string, string> headers, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"""
             insert into {TableName} (account_id, key, request_hash, created_at, status, headers, body)
             values ($1, $2, $3, now(), $4, $5, $6)
             on conflict (account_id, key) do update set status = excluded.status, headers = excluded.headers, body = excluded.body
             """, connection);
        command.Parameters.AddWithValue(claim.AccountId);
        command.Parameters.AddWithValue(claim.Key);
        command.Parameters.AddWithValue(claim.RequestHash);
        command.Parameters.AddWithValue(status);
        command.Parameters.AddWithValue(NpgsqlDbType.Jsonb, JsonSerializer.Serialize(headers, IdempotencyJson.Default.DictionaryStringString));
        command.Parameters.AddWithValue(NpgsqlDbType.Bytea, body);
        await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<int> DeleteExpiredAsync(NpgsqlDataSource dataSource, TimeSpan retention, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"delete from {TableName} where created_at < now() - $1");
        command.Parameters.AddWithValue(retention);
        return await command.ExecuteNonQueryAsync(ct);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class IdempotencyJson : System.Text.Json.Serialization.JsonSerializerContext;
