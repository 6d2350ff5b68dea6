using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Npgsql;

namespace Sharedcloud.Es.Api.Tests.CommandLine;

public sealed class EventExportCommandTests(ApiWithHistory history) : IClassFixture<ApiWithHistory>
{
    private sealed record StoredEvent(long Sequence, Guid Stream, long Version, string Type, DateTime Timestamp,
        string? UserName, string? ActorId, string? CorrelationId, string Data);

    private async Task<List<StoredEvent>> StoredEventsAsync()
    {
        await using var connection = new NpgsqlConnection(history.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select seq_id, stream_id, version, type, timestamp, user_name, headers ->> 'actor_id', correlation_id, data::text " +
            "from sharedcloud.mt_events order by seq_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync())
        {
            events.Add(new StoredEvent(reader.GetInt64(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3),
                reader.GetDateTime(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetString(8)));
        }
        return events;
    }

    private static List<JsonObject> Lines(string ndjson) =>
        ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();

    private static void AssertSame(StoredEvent stored, JsonObject exported)
    {
        Assert.Equal(stored.Sequence, exported["sequence"]!.GetValue<long>());
        Assert.Equal(stored.Stream, exported["stream"]!.GetValue<Guid>());
        Assert.Equal(stored.Version, exported["version"]!.GetValue<long>());
        Assert.Equal(stored.Type, exported["type"]!.GetValue<string>());
        Assert.Equal(stored.Timestamp, exported["timestamp"]!.GetValue<DateTimeOffset>().UtcDateTime);
        Assert.Equal(stored.CorrelationId, exported["correlation_id"]?.GetValue<string>());
        Assert.Equal(stored.UserName, exported["actor"]?["username"]?.GetValue<string>());
        Assert.Equal(stored.ActorId, exported["actor"]?["uuid"]?.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(stored.Data), exported["data"]), $"data of event {stored.Sequence} differs");
    }

    private static IEnumerable<string> PropertyNames(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => PropertyNames(p.Value).Prepend(p.Key)),
        JsonArray a => a.SelectMany(PropertyNames),
        _ => [],
    };

    [Fact]
    public async Task Export_writes_every_event_in_order_with_its_metadata_and_nothing_secret()
    {
        var file = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.ndjson");
        try
        {
            var result = await CommandLineRunner.RunAsync(history.ConnectionString, "events", "export", "--out", file);

            Assert.True(result.ExitCode == 0, result.ToString());
            var stored = await StoredEventsAsync();
            var text = await File.ReadAllTextAsync(file);
            var exported = Lines(text);
            Assert.Equal(stored.Count, exported.Count);
            Assert.True(stored.Count > 25, $"the history should have a few dozen events, has {stored.Count}");
            foreach (var (s, e) in stored.Zip(exported)) AssertSame(s, e);
            Assert.Contains($"exported {stored.Count} events", result.Stderr);
            Assert.Equal("", result.Stdout);

            Assert.Contains(exported, e => e["type"]!.GetValue<string>() == "account_password_changed");
            var names = exported.SelectMany(PropertyNames).Distinct().ToList();
            foreach (var secretish in new[] { "password", "hash", "digest", "salt", "key", "token", "secret" })
                Assert.DoesNotContain(names, name => name.Contains(secretish, StringComparison.OrdinalIgnoreCase));
            foreach (var secret in history.Secrets) Assert.DoesNotContain(secret, text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Export_to_stdout_filters_by_type_and_time()
    {
        var stored = await StoredEventsAsync();
        var middle = stored[stored.Count / 2];
        var since = middle.Timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");

        var result = await CommandLineRunner.RunAsync(history.ConnectionString,
            "events", "export", "--type", "instance_renamed", "--type", "instance_started", "instance_stopped", "--since", since);

        Assert.True(result.ExitCode == 0, result.ToString());
        var expected = stored.Where(e => e.Timestamp >= middle.Timestamp &&
                                         e.Type is "instance_renamed" or "instance_started" or "instance_stopped").ToList();
        var exported = Lines(result.Stdout);
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, exported.Count);
        foreach (var (s, e) in expected.Zip(exported)) AssertSame(s, e);

        var until = await CommandLineRunner.RunAsync(history.ConnectionString,
            "events", "export", "--until", stored[0].Timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"));
        Assert.True(until.ExitCode == 0, until.ToString());
        Assert.Equal(stored.Where(e => e.Timestamp <= stored[0].Timestamp).Select(e => e.Sequence),
            Lines(until.Stdout).Select(e => e["sequence"]!.GetValue<long>()));
    }

    [Theory]
    [InlineData("unknown event type nope; the event types are: instance_registered, ", "events", "export", "--type", "nope")]
    [InlineData("--since \"yesterday\": Datetime has wrong format.", "events", "export", "--since", "yesterday")]
    [InlineData("--until \"31-02-2026 00:00:00\": Datetime has wrong format.", "events", "export", "--until", "31-02-2026 00:00:00")]
    [InlineData("--events must be at least --accounts + --instances (11)", "bench", "seed", "--accounts", "1", "--instances", "10", "--events", "5")]
    [InlineData("--accounts must be at least 1.", "bench", "seed", "--accounts", "0")]
    public async Task Bad_arguments_exit_non_zero_with_a_clear_message(string message, params string[] args)
    {
        var before = (await StoredEventsAsync()).Count;

        var result = await CommandLineRunner.RunAsync(history.ConnectionString, args);

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("error: " + message, result.Stderr);
        CommandLineRunner.AssertNoStackTrace(result);
        Assert.Equal("", result.Stdout);
        Assert.Equal(before, (await StoredEventsAsync()).Count);
    }

    [Fact]
    public async Task An_unknown_action_or_flag_is_refused()
    {
        var action = await CommandLineRunner.RunAsync(history.ConnectionString, "events", "frobnicate");
        Assert.True(action.ExitCode != 0, action.ToString());

        var flag = await CommandLineRunner.RunAsync(history.ConnectionString, "events", "export", "--colour", "blue");
        Assert.True(flag.ExitCode != 0, flag.ToString());
        Assert.Contains("Unknown argument or flag for value --colour", flag.Stderr);
        Assert.Equal("", flag.Stdout.Trim());
    }

    [Theory]
    [InlineData("events", "export")]
    [InlineData("events", "verify")]
    [InlineData("projections", "rebuild")]
    [InlineData("bench", "seed", "--accounts", "1", "--instances", "1", "--events", "2")]
    public async Task An_unreachable_database_is_one_clear_message(params string[] args)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now

        var result = await CommandLineRunner.RunAsync(
            $"Host=127.0.0.1;Port={port};Username=postgres;Database=nowhere;Timeout=5", args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"error: cannot reach the database nowhere at 127.0.0.1:{port}", result.Stderr);
        CommandLineRunner.AssertNoStackTrace(result);
        Assert.Equal("", result.Stdout);
    }
}
