using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Instances;

/// <summary>How a request body is encoded: the official client sends forms (every value a string).</summary>
public enum Body { Form, Json }

/// <summary>Shared helpers for the instance tests: both encodings, the response shape, the event store.</summary>
public static partial class InstanceTestKit
{
    public const string InstancesUrl = "/api/v1/instances/";
    public const string TitanV = "caf0daeb-ba23-4499-b4f9-8b4965714366";
    public const string TitanVName = "Nvidia Titan V 12GB";
    public const string TeslaK80 = "015ecae7-0715-4139-9d26-b0fccd0a3f31";
    public const string TeslaK80Name = "Nvidia Tesla K80 24GB";
    public const string UnknownGpu = "11111111-2222-3333-4444-555555555555";

    public const string Required = "This field is required.";
    public const string Blank = "This field may not be blank.";
    public const string Null = "This field may not be null.";
    public const string GpuRequired = "This field needs to be provided if the instance is type GPU";
    public const string GpuUnnecessary = "This field is unnecessary because the instance is not, or not gonna be type GPU anymore";
    public const string GpuSingleJob = "This value is invalid. All GPU instances can only process one job at a time";
    public const string TooSmall = "This field cannot be smaller than $0.001";
    public const string NotFound = """{"detail":"Not found."}""";

    /// <summary>The response object's keys, in production's order (the spec's Instances section).</summary>
    public static readonly string[] KeyOrder =
    [
        "uuid", "type", "gpu", "gpu_name", "num_running_jobs", "updated_at", "created_at", "current_server_time",
        "num_assigned_jobs", "last_connection", "name", "status", "ask_price", "downloaded_images", "max_num_parallel_jobs",
    ];

    public static TheoryData<Body> BothBodies => new() { Body.Form, Body.Json };

    public static string Url(JsonObject instance) => $"{InstancesUrl}{Uuid(instance)}/";
    public static string Url(string uuid) => $"{InstancesUrl}{uuid}/";
    public static string Uuid(JsonObject instance) => instance["uuid"]!.GetValue<string>();

    /// <summary>
    /// Sends the fields in the given encoding. Form: every value as text (null cannot be sent in a
    /// form). JSON: values keep their types (numbers stay numbers, null stays null).
    /// </summary>
    public static Task<Reply> SendAsync(this ApiClient client, Body body, HttpMethod method, string url,
        params (string Key, object? Value)[] fields)
    {
        if (body == Body.Form)
            return client.SendFormAsync(method, url, fields.Select(f => (f.Key, FormText(f.Value))).ToArray());
        var json = new Dictionary<string, object?>();
        foreach (var (key, value) in fields) json[key] = value;
        return client.SendJsonAsync(method, url, json);
    }

    public static Task<Reply> CreateAsync(this ApiClient client, Body body, params (string Key, object? Value)[] fields) =>
        client.SendAsync(body, HttpMethod.Post, InstancesUrl, fields);

    public static Task<Reply> PatchAsync(this ApiClient client, Body body, string url, params (string Key, object? Value)[] fields) =>
        client.SendAsync(body, HttpMethod.Patch, url, fields);

    public static Task<Reply> PutAsync(this ApiClient client, Body body, string url, params (string Key, object? Value)[] fields) =>
        client.SendAsync(body, HttpMethod.Put, url, fields);

    private static string FormText(object? value) => value switch
    {
        null => throw new ArgumentException("A form cannot carry null."),
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    /// <summary>The body is exactly one field-error object with these fields and messages.</summary>
    public static Reply IsFieldErrors(this Reply reply, params (string Field, string[] Messages)[] errors)
    {
        var expected = new JsonObject();
        foreach (var (field, messages) in errors)
            expected[field] = new JsonArray(messages.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray());
        return reply.Is(400, expected.ToJsonString());
    }

    /// <summary>An instance object: every key in production's order, timestamps in production's format.</summary>
    public static JsonObject AssertInstanceShape(JsonNode? node)
    {
        var o = Assert.IsType<JsonObject>(node);
        Assert.Equal(KeyOrder, o.Select(kv => kv.Key).ToArray());
        Assert.True(Guid.TryParse(Uuid(o), out _), $"uuid: {o["uuid"]}");
        Assert.Equal(JsonValueKind.Number, o["type"]!.GetValueKind());
        Assert.Equal(JsonValueKind.Number, o["status"]!.GetValueKind());
        Assert.Equal(JsonValueKind.Number, o["ask_price"]!.GetValueKind());
        Assert.Equal(JsonValueKind.Number, o["max_num_parallel_jobs"]!.GetValueKind());
        Assert.Equal(JsonValueKind.Array, o["downloaded_images"]!.GetValueKind());
        foreach (var key in new[] { "updated_at", "created_at", "current_server_time" })
            AssertTimestamp(o[key]);
        return o;
    }

    public static DateTime AssertTimestamp(JsonNode? node)
    {
        var text = node?.GetValue<string>() ?? "";
        Assert.Matches(TimestampPattern(), text);
        var value = DateTime.ParseExact(text, "dd-MM-yyyy HH:mm:ss", CultureInfo.InvariantCulture);
        Assert.True(value.Year >= 2024, $"Not a real timestamp: {text}");
        return value;
    }

    /// <summary>The raw JSON text of a value (to see 0.02 rather than a double's approximation).</summary>
    public static string Raw(JsonNode? node) => node?.ToJsonString() ?? "null";

    /// <summary>An instance without its current_server_time, which differs on every read.</summary>
    public static JsonObject Stored(JsonObject instance)
    {
        var copy = instance.DeepClone().AsObject();
        copy.Remove("current_server_time");
        return copy;
    }

    [GeneratedRegex(@"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$")]
    private static partial Regex TimestampPattern();

    // ---- the event store ----

    public sealed record StoredEvent(long Version, string Type, JsonObject Data);

    /// <summary>The stream's events as stored in sharedcloud.mt_events, oldest first.</summary>
    public static async Task<IReadOnlyList<StoredEvent>> EventsAsync(this ApiFactory api, string streamId)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select version, type, data::text from sharedcloud.mt_events where stream_id = @id order by version", connection);
        command.Parameters.AddWithValue("id", Guid.Parse(streamId));
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync())
            events.Add(new StoredEvent(reader.GetInt64(0), reader.GetString(1), JsonNode.Parse(reader.GetString(2))!.AsObject()));
        return events;
    }

    public static async Task<string[]> EventTypesAsync(this ApiFactory api, string streamId) =>
        (await api.EventsAsync(streamId)).Select(e => e.Type).ToArray();

    public static async Task<long> EventCountAsync(this ApiFactory api, string streamId)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from sharedcloud.mt_events where stream_id = @id", connection);
        command.Parameters.AddWithValue("id", Guid.Parse(streamId));
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
