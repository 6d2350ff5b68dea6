using Marten;
using Npgsql;
using Sharedcloud.Es.Projections;
using Sharedcloud.Es.Projections.Instances;

namespace Sharedcloud.Es.Api.Instances;

/// <summary>
/// The instance read model as GET serves it: one statement on Marten's own pool, each stored document read by
/// Marten's own serializer, so the same objects as <c>session.LoadAsync</c> and <c>session.Query</c> give, without
/// a session, a LINQ translation or a retry pipeline per request. These are the hottest reads of the API.
/// </summary>
public sealed class InstanceReads(IDocumentStore store)
{
    private const string Table = MartenConfiguration.Schema + ".mt_doc_instancedetails";

    // account__id and created__at are the document's duplicated columns (MartenConfiguration), indexed.
    private const string ByIdSql = $"select data from {Table} where id = $1";
    private const string ByAccountSql = $"select data from {Table} where account__id = $1 order by created__at desc";

    private readonly ISerializer _serializer = store.Options.Serializer();

    public async Task<InstanceDetails?> LoadAsync(Guid id, CancellationToken ct)
    {
        var found = await ReadAsync(ByIdSql, id, ct);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>The account's instances, newest first.</summary>
    public Task<List<InstanceDetails>> ListAsync(Guid accountId, CancellationToken ct) => ReadAsync(ByAccountSql, accountId, ct);

    private async Task<List<InstanceDetails>> ReadAsync(string sql, Guid key, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = key } } };
        await using var reader = await command.ExecuteReaderAsync(ct);
        var documents = new List<InstanceDetails>();
        // A row is in Npgsql's buffer once ReadAsync returns (the reader is not sequential): read it synchronously.
        while (await reader.ReadAsync(ct))
            documents.Add(_serializer.FromJson<InstanceDetails>(reader, 0));
        return documents;
    }
}
