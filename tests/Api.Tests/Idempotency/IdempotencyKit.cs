using System.Net.Sockets;
using System.Text;
using Npgsql;
using Sharedcloud.Es.Api.Infrastructure.Idempotency;
using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Idempotency;

/// <summary>Requests with an Idempotency-Key, and the stored keys as the database holds them.</summary>
public static class IdempotencyKit
{
    public const string Header = IdempotencyMiddleware.Header;

    public static string NewKey() => "key-" + Guid.NewGuid().ToString("N");

    /// <summary>A form body (as the official client sends) with the key as sent, unvalidated by HttpClient.</summary>
    public static Task<Reply> SendFormWithKeyAsync(this ApiClient client, string key, HttpMethod method, string url,
        params (string Key, string Value)[] fields) =>
        client.SendAsync(method, url,
            fields.Length == 0 && method == HttpMethod.Delete ? null
                : new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))),
            request => request.Headers.TryAddWithoutValidation(Header, key));

    public static Task<Reply> PostWithKeyAsync(this ApiClient client, string key, string url, params (string Key, string Value)[] fields) =>
        client.SendFormWithKeyAsync(key, HttpMethod.Post, url, fields);

    public static bool IsReplayed(this Reply reply) =>
        reply.Headers.TryGetValues(IdempotencyMiddleware.ReplayedHeader, out var values) && values.Single() == "true";

    public static Reply IsDetail(this Reply reply, int status, string detail) =>
        reply.Is(status, new System.Text.Json.Nodes.JsonObject { ["detail"] = detail }.ToJsonString());

    public sealed record StoredKey(Guid AccountId, string Key, int? Status, TimeSpan Age);

    public static async Task<IReadOnlyList<StoredKey>> StoredKeysAsync(this ApiFactory api, string key)
    {
        await using var connection = await OpenAsync(api);
        await using var command = new NpgsqlCommand(
            $"select account_id, key, status, now() - created_at from {IdempotencyStore.TableName} where key = $1 order by account_id",
            connection);
        command.Parameters.AddWithValue(key);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<StoredKey>();
        while (await reader.ReadAsync())
            rows.Add(new StoredKey(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2),
                reader.GetFieldValue<TimeSpan>(3)));
        return rows;
    }

    /// <summary>Runs one statement against the API's database, with positional parameters ($1, $2, ...).</summary>
    public static async Task<int> ExecuteAsync(this ApiFactory api, string sql, params object[] parameters)
    {
        await using var connection = await OpenAsync(api);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Makes the key's records look <paramref name="age"/> old.</summary>
    public static Task<int> AgeKeyAsync(this ApiFactory api, string key, TimeSpan age) =>
        api.ExecuteAsync($"update {IdempotencyStore.TableName} set created_at = now() - $2 where key = $1", key, age);

    public static async Task<NpgsqlConnection> OpenAsync(ApiFactory api)
    {
        var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The caller's account id.</summary>
    public static async Task<Guid> AccountIdAsync(this ApiClient client) =>
        Guid.Parse((await client.GetAsync("/api/v1/users/account/")).EnsureStatus(200).Object["uuid"]!.GetValue<string>());

    /// <summary>
    /// A request written byte by byte on a socket (HttpClient folds repeated headers into one line);
    /// returns the status line and the body.
    /// </summary>
    public static async Task<(string StatusLine, string Body)> SendRawAsync(this ApiFactory api, string head, string body)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(api.Address.Host, api.Address.Port);
        await using var stream = tcp.GetStream();
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var request = $"{head}Host: {api.Address.Authority}\r\nContent-Length: {bodyBytes.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        await stream.WriteAsync(bodyBytes);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        var statusLine = response[..response.IndexOf("\r\n", StringComparison.Ordinal)];
        var separator = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (statusLine, response[(separator + 4)..]);
    }
}
