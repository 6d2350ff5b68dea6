using Marten;
using Npgsql;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Instances;

/// <summary>
/// The instances' documents as GET serves them: one statement on Marten's own pool, without a session, a LINQ
/// translation or a retry pipeline per request. GET and the list take the stored JSON as it is (their responses
/// are written from it); the other readers get the documents, read by Marten's own serializer. These are the
/// hottest reads of the API.
/// </summary>
public sealed class InstanceReads(IDocumentStore store)
{
    private const string Table = MartenConfiguration.Schema + ".mt_doc_instancedetails";

    // account__id and created__at are the document's duplicated columns (MartenConfiguration), indexed.
    private const string ByIdSql = $"select data from {Table} where id = $1";
    private const string VersionSql = $"select (data ->> 'version')::bigint from {Table} where id = $1 and account__id = $2";
    private const string JsonByIdSql = $"select data from {Table} where id = $1 and account__id = $2";
    private const string ByAccountSql = $"select data from {Table} where account__id = $1 order by created__at desc";

    private readonly ISerializer _serializer = store.Options.Serializer();

    public async Task<Instance?> LoadAsync(Guid id, CancellationToken ct) =>
        (await ReadAsync(ByIdSql, Document, ct, id)) is [var found] ? found : null;

    /// <summary>The stored version of the account's instance; null where the account has none with this id.</summary>
    public async Task<long?> VersionAsync(Guid accountId, Guid id, CancellationToken ct) =>
        (await ReadAsync(VersionSql, reader => reader.GetInt64(0), ct, id, accountId)) is [var found] ? found : null;

    /// <summary>An instance's state as the store keeps it (UTF-8 JSON, Marten's serializer): what a response is written from.</summary>
    public byte[] Stored(Instance state)
    {
        var json = new System.Buffers.ArrayBufferWriter<byte>(512); // about an instance's size
        _serializer.WriteToCleanJson(json, state);
        return json.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The account's instance as stored (UTF-8 JSON), or null where the account has none with this id: for a
    /// response written straight from it (<see cref="InstanceJson"/>).
    /// </summary>
    public async Task<byte[]?> LoadJsonAsync(Guid accountId, Guid id, CancellationToken ct) =>
        (await ReadAsync(JsonByIdSql, Json, ct, id, accountId)) is [var found] ? found : null;

    /// <summary>The account's instances as stored (UTF-8 JSON), newest first.</summary>
    public Task<List<byte[]>> ListJsonAsync(Guid accountId, CancellationToken ct) => ReadAsync(ByAccountSql, Json, ct, accountId);

    private Instance Document(NpgsqlDataReader reader) => _serializer.FromJson<Instance>(reader, 0);

    /// <summary>The jsonb column's text, without the format's version byte that Npgsql's stream starts with.</summary>
    private static byte[] Json(NpgsqlDataReader reader)
    {
        using var stream = reader.GetStream(0);
        var first = stream.ReadByte();
        if (first < 0) return [];
        // One array of the JSON's size, without copying it a second time to drop the version byte.
        var bytes = new byte[stream.Length - (first == 1 ? 1 : 0)];
        var at = 0;
        if (first != 1) bytes[at++] = (byte)first;
        stream.ReadExactly(bytes.AsSpan(at));
        return bytes;
    }

    private async Task<List<T>> ReadAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct, params Guid[] keys)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var key in keys) command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = key });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        // A row is in Npgsql's buffer once ReadAsync returns (the reader is not sequential): read it synchronously.
        while (await reader.ReadAsync(ct)) rows.Add(read(reader));
        return rows;
    }
}
