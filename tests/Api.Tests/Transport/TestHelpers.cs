using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Transport;

/// <summary>Helpers shared by the Transport, Accounts and Gpus tests (kept here so the shared fixture stays small).</summary>
public static class TestHelpers
{
    public const string TimestampFormat = "dd-MM-yyyy HH:mm:ss";
    private static readonly Regex TimestampShape = new(@"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$");

    /// <summary>
    /// A client that never follows redirects and sends <paramref name="authorization"/> verbatim as the
    /// Authorization header (none when null).
    /// </summary>
    public static ApiClient Client(this ApiFactory api, string? authorization = null)
    {
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = api.Address };
        if (authorization is not null) http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return new ApiClient(http);
    }

    /// <summary>A client holding <paramref name="key"/> (as "Token &lt;key&gt;"), never following redirects.</summary>
    public static ApiClient WithKey(this ApiFactory api, string key) => api.Client($"Token {key}");

    public static Task<Reply> SendMultipartAsync(this ApiClient client, HttpMethod method, string url,
        params (string Key, string Value)[] fields)
    {
        var content = new MultipartFormDataContent();
        foreach (var (key, value) in fields) content.Add(new StringContent(value, Encoding.UTF8), key);
        return client.SendAsync(method, url, content);
    }

    /// <summary>A body with exactly this Content-Type header value (no charset added).</summary>
    public static Task<Reply> SendExactContentTypeAsync(this ApiClient client, HttpMethod method, string url, string body,
        string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return client.SendAsync(method, url, content);
    }

    public static Task<Reply> PatchFormAsync(this ApiClient client, string url, params (string Key, string Value)[] fields) =>
        client.SendFormAsync(HttpMethod.Patch, url, fields);

    public static Task<Reply> SignUpAsync(this ApiClient client, string username, string email, string password) =>
        client.PostFormAsync("/api/v1/users/", ("username", username), ("email", email), ("password", password));

    public static string NewUsername(string prefix = "user") => prefix + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A 401 with the given detail and the <c>WWW-Authenticate: Token</c> challenge.</summary>
    public static Reply IsUnauthorized(this Reply reply, string detail)
    {
        reply.Is(401, new JsonObject { ["detail"] = detail }.ToJsonString());
        Assert.True(reply.Headers.WwwAuthenticate.Count == 1, $"Expected one WWW-Authenticate header, got: {reply.Headers.WwwAuthenticate}");
        Assert.Equal("Token", reply.Headers.WwwAuthenticate.ToString());
        return reply;
    }

    /// <summary>Status and body exactly, as JSON, where the expected body is built as a node (no quoting trouble).</summary>
    public static Reply Is(this Reply reply, int status, JsonNode expected) => reply.Is(status, expected.ToJsonString());

    public static Reply IsFieldErrors(this Reply reply, params (string Field, string[] Messages)[] errors)
    {
        var expected = new JsonObject();
        foreach (var (field, messages) in errors)
            expected[field] = new JsonArray(messages.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray());
        return reply.Is(400, expected);
    }

    /// <summary>application/json; charset=utf-8, no whitespace between tokens.</summary>
    public static Reply IsCompactUtf8Json(this Reply reply)
    {
        var type = reply.ContentHeaders.ContentType;
        Assert.NotNull(type);
        Assert.Equal("application/json", type.MediaType);
        Assert.Equal("utf-8", type.CharSet, ignoreCase: true);
        _ = reply.Json; // parses
        bool inString = false, escaped = false;
        for (var i = 0; i < reply.Body.Length; i++)
        {
            var c = reply.Body[i];
            if (inString)
            {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
            }
            else if (c == '"') inString = true;
            else Assert.False(char.IsWhiteSpace(c), $"Whitespace outside a string at {i} in {reply.Body}");
        }
        return reply;
    }

    /// <summary>Asserts <c>dd-MM-yyyy HH:mm:ss</c> and returns the UTC time it denotes.</summary>
    public static DateTime Timestamp(JsonNode? node)
    {
        Assert.NotNull(node);
        var text = node.GetValue<string>();
        Assert.Matches(TimestampShape, text);
        return DateTime.ParseExact(text, TimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }

    public static string[] Keys(this JsonObject o) => o.Select(p => p.Key).ToArray();

    /// <summary>
    /// The account object: exactly these fields in this order, with these values; returns its uuid.
    /// </summary>
    public static Guid AssertAccount(JsonNode? node, string username, string email, bool loggedIn)
    {
        var o = Assert.IsType<JsonObject>(node);
        Assert.Equal(["uuid", "username", "email", "last_login", "date_joined", "balance", "current_server_time"], o.Keys());
        var uuid = Guid.Parse(o["uuid"]!.GetValue<string>());
        Assert.Equal(uuid.ToString("D"), o["uuid"]!.GetValue<string>()); // canonical lowercase, dashed
        Assert.Equal(username, o["username"]!.GetValue<string>());
        Assert.Equal(email, o["email"]!.GetValue<string>());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, o["balance"]!.GetValueKind());
        Assert.Equal(0m, o["balance"]!.GetValue<decimal>());
        var joined = Timestamp(o["date_joined"]);
        var now = Timestamp(o["current_server_time"]);
        Assert.True(joined <= now, $"date_joined {joined} is after current_server_time {now}");
        if (loggedIn)
        {
            var lastLogin = Timestamp(o["last_login"]);
            Assert.True(joined <= lastLogin && lastLogin <= now, $"last_login {lastLogin} outside [{joined}, {now}]");
        }
        else
        {
            Assert.Null(o["last_login"]);
            Assert.True(o.ContainsKey("last_login"));
        }
        return uuid;
    }

    /// <summary>Every row of every table the application created, as text.</summary>
    public static async Task<string> DumpDatabaseAsync(this ApiFactory api)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "select quote_ident(table_schema) || '.' || quote_ident(table_name) from information_schema.tables " +
            "where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')", connection))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        Assert.Contains("sharedcloud.mt_events", tables);
        Assert.Contains("sharedcloud.mt_doc_accountcredentials", tables);

        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"select t::text from {table} t", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync()) dump.Append(table).Append(": ").AppendLine(reader.GetString(0));
        }
        return dump.ToString();
    }

    public static async Task<List<string>> QueryStringsAsync(this ApiFactory api, string sql)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.IsDBNull(0) ? "" : reader.GetValue(0).ToString()!);
        return rows;
    }
}
