using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Auditing;

/// <summary>GET /api/v1/instances/&lt;uuid&gt;/events/: one instance's history, for its owner.</summary>
public sealed class InstanceEventsTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static string EventsUrl(string id) => $"{InstancesUrl}{id}/events/";

    [Fact]
    public async Task The_history_lists_exactly_the_changes_made_by_whom_and_in_order()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "rig"), ("ask_price", "0.5"), ("max_num_parallel_jobs", "2"));
        var id = Uuid(created);
        (await john.SendFormAsync(HttpMethod.Patch, Url(id), ("ask_price", "0.02"))).EnsureStatus(200);
        (await john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", "rig2"), ("type", "gpu"), ("gpu", TitanV),
            ("max_num_parallel_jobs", "1"))).EnsureStatus(200);
        (await john.DeleteAsync(Url(id))).EnsureStatus(204);

        var history = (await john.GetAsync(EventsUrl(id))).EnsureStatus(200).Array;

        Assert.Equal(
            ["instance_registered", "instance_price_changed", "instance_renamed", "instance_type_changed",
             "instance_parallelism_changed", "instance_deleted"],
            history.Select(e => e!["type"]!.GetValue<string>()));
        Assert.Equal([1L, 2, 3, 4, 5, 6], history.Select(e => e!["version"]!.GetValue<long>()));
        var johnsUuid = (await john.GetAsync("/api/v1/users/account/")).Object["uuid"]!.GetValue<string>();
        Assert.All(history, e => Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$"""{"uuid":"{{johnsUuid}}","username":"{{john.Username}}"}"""), e!["actor"])));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"ask_price":0.02}"""), history[1]!["data"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"name":"rig2"}"""), history[2]!["data"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""{"type":2,"gpu_id":"{{TitanV}}"}"""), history[3]!["data"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{}"), history[5]!["data"]));
        var registered = history[0]!["data"]!.AsObject();
        Assert.Equal("rig", registered["name"]!.GetValue<string>());
        Assert.Equal(johnsUuid, registered["account_id"]!.GetValue<string>());
        Assert.False(registered.ContainsKey("instance_id")); // the stream's own id is the URL's
    }

    [Fact]
    public async Task Each_item_has_the_documented_shape_and_one_request_shares_one_correlation_id()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync(("name", "box"), ("ask_price", "0.5")));
        var patch = await john.SendAsync(HttpMethod.Patch, Url(id), new FormUrlEncodedContent(
                [new("name", "box2"), new("ask_price", "0.25")]),
            r => r.Headers.Add("X-Correlation-ID", "retry-42.abc"));
        patch.EnsureStatus(200);
        Assert.Equal("retry-42.abc", patch.Headers.GetValues("X-Correlation-ID").Single());

        var history = (await john.GetAsync(EventsUrl(id))).EnsureStatus(200).Array;

        var item = history[1]!.AsObject();
        Assert.Equal(["version", "type", "timestamp", "recorded_at", "actor", "correlation_id", "data"],
            item.Select(p => p.Key));
        Assert.Equal(["retry-42.abc", "retry-42.abc"], history.Skip(1).Select(e => e!["correlation_id"]!.GetValue<string>()));
        var generated = history[0]!["correlation_id"]!.GetValue<string>();
        Assert.NotEqual("retry-42.abc", generated);
        Assert.True(Guid.TryParse(generated, out _));

        var timestamp = AssertTimestamp(item["timestamp"]);
        var recordedAt = item["recorded_at"]!.GetValue<string>();
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", recordedAt);
        var precise = DateTime.Parse(recordedAt, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.Equal(timestamp, precise.AddTicks(-(precise.Ticks % TimeSpan.TicksPerSecond)));
        Assert.Equal(AssertTimestamp(patch.Object["updated_at"]), timestamp);
    }

    [Fact]
    public async Task The_event_metadata_records_the_request_and_the_accounts_but_no_secret()
    {
        var john = await api.NewAccountAsync();
        var johnsUuid = (await john.GetAsync("/api/v1/users/account/")).Object["uuid"]!.GetValue<string>();
        await john.CreateInstanceAsync();
        (await john.SendFormAsync(HttpMethod.Patch, "/api/v1/users/account/", ("password", "another-long-passphrase"))).EnsureStatus(200);

        await using var connection = new Npgsql.NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select type, user_name, headers::text, data::text from sharedcloud.mt_events " +
            "where headers ->> 'owner_id' = @owner order by seq_id", connection);
        command.Parameters.AddWithValue("owner", johnsUuid);
        var rows = new List<(string Type, string User, JsonObject Headers, string Data)>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                rows.Add((reader.GetString(0), reader.GetString(1), JsonNode.Parse(reader.GetString(2))!.AsObject(), reader.GetString(3)));

        Assert.Equal(["account_registered", "account_logged_in", "instance_registered", "account_password_changed",
            "account_key_rotated"], rows.Select(r => r.Type));
        var registered = rows.Single(r => r.Type == "instance_registered");
        Assert.Equal(john.Username, registered.User);
        Assert.Equal(johnsUuid, registered.Headers["actor_id"]!.GetValue<string>());
        Assert.Equal(johnsUuid, registered.Headers["owner_id"]!.GetValue<string>());
        Assert.Equal("POST", registered.Headers["method"]!.GetValue<string>());
        Assert.Equal("/api/v1/instances/", registered.Headers["path"]!.GetValue<string>());
        var signUp = rows.Single(r => r.Type == "account_registered");
        Assert.Equal(johnsUuid, signUp.Headers["actor_id"]!.GetValue<string>());
        Assert.Equal("/api/v1/users/", signUp.Headers["path"]!.GetValue<string>());
        Assert.Contains(rows, r => r.Type == "account_password_changed");
        Assert.All(rows, r =>
        {
            Assert.DoesNotContain(john.Password, r.Data + r.Headers.ToJsonString());
            Assert.DoesNotContain("another-long-passphrase", r.Data + r.Headers.ToJsonString());
            Assert.DoesNotContain(john.Key, r.Data + r.Headers.ToJsonString());
        });
    }

    [Fact]
    public async Task After_a_rename_the_account_acts_under_its_new_username()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        var newName = "renamed" + Guid.NewGuid().ToString("N")[..8];
        (await john.SendFormAsync(HttpMethod.Patch, "/api/v1/users/account/", ("username", newName))).EnsureStatus(200);
        var renamed = api.NewHttpClient();
        renamed.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token",
            await api.Anonymous().LogInAsync(newName, john.Password)); // a change of identity rotates the key
        var again = new ApiClient(renamed);
        (await again.SendFormAsync(HttpMethod.Patch, Url(id), ("name", "after"))).EnsureStatus(200);

        var history = (await again.GetAsync(EventsUrl(id))).Array;

        Assert.Equal([john.Username, newName], history.Select(e => e!["actor"]!["username"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Paging_follows_since_version_and_the_next_link()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync(("name", "p0"), ("ask_price", "0.5")));
        for (var i = 1; i <= 6; i++)
            (await john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", $"p{i}"))).EnsureStatus(200);

        var versions = new List<long>();
        var url = EventsUrl(id) + "?limit=3";
        var pages = 0;
        while (url is not null)
        {
            var page = (await john.GetAsync(url)).EnsureStatus(200);
            pages++;
            versions.AddRange(page.Array.Select(e => e!["version"]!.GetValue<long>()));
            url = NextLink(page);
        }

        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], versions);
        Assert.Equal(3, pages);
        var since = (await john.GetAsync(EventsUrl(id) + "?since_version=5")).Array;
        Assert.Equal([6L, 7], since.Select(e => e!["version"]!.GetValue<long>()));
        var last = await john.GetAsync(EventsUrl(id) + "?since_version=7");
        Assert.Empty(last.EnsureStatus(200).Array);
        Assert.Null(NextLink(last));
    }

    [Theory]
    [InlineData("limit=0", """{"limit":["Ensure this value is greater than or equal to 1."]}""")]
    [InlineData("limit=1001", """{"limit":["Ensure this value is less than or equal to 1000."]}""")]
    [InlineData("limit=ten", """{"limit":["A valid integer is required."]}""")]
    [InlineData("since_version=-1", """{"since_version":["Ensure this value is greater than or equal to 0."]}""")]
    [InlineData("since_version=1.5&limit=x",
        """{"since_version":["A valid integer is required."],"limit":["A valid integer is required."]}""")]
    public async Task Bad_paging_values_are_400_with_field_errors(string query, string expected)
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());

        (await john.GetAsync(EventsUrl(id) + "?" + query)).Is(400, expected);
    }

    [Fact]
    public async Task Another_account_gets_404_even_after_deletion_and_the_owner_still_reads_it()
    {
        var john = await api.NewAccountAsync();
        var mallory = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());

        (await mallory.GetAsync(EventsUrl(id))).Is(404, NotFound);
        (await john.DeleteAsync(Url(id))).EnsureStatus(204);
        (await mallory.GetAsync(EventsUrl(id))).Is(404, NotFound);
        (await john.GetAsync(Url(id))).Is(404, NotFound);
        Assert.Equal(2, (await john.GetAsync(EventsUrl(id))).EnsureStatus(200).Array.Count);

        (await john.GetAsync(EventsUrl(Guid.NewGuid().ToString()))).Is(404, NotFound);
        var johnsUuid = (await john.GetAsync("/api/v1/users/account/")).Object["uuid"]!.GetValue<string>();
        (await john.GetAsync(EventsUrl(johnsUuid))).Is(404, NotFound); // an account stream is not an instance
        (await api.Anonymous().GetAsync(EventsUrl(id))).EnsureStatus(401);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    public async Task A_missing_or_unusable_correlation_id_is_replaced_by_a_generated_one(string given)
    {
        var client = api.Anonymous();
        var reply = await client.SendAsync(HttpMethod.Get, "/api/v1/gpus/", null, r =>
        {
            if (given.Length > 0) r.Headers.TryAddWithoutValidation("X-Correlation-ID", given);
        });

        var returned = reply.Headers.GetValues("X-Correlation-ID").Single();
        Assert.True(Guid.TryParse(returned, out _), returned);
    }

    [Fact]
    public async Task A_long_correlation_id_is_replaced_and_errors_carry_one_too()
    {
        var reply = await api.Anonymous().SendAsync(HttpMethod.Get, "/api/v1/instances/", null,
            r => r.Headers.Add("X-Correlation-ID", new string('a', 129)));

        reply.EnsureStatus(401);
        Assert.True(Guid.TryParse(reply.Headers.GetValues("X-Correlation-ID").Single(), out _));
    }

    internal static string? NextLink(Reply reply)
    {
        if (!reply.Headers.TryGetValues("Link", out var values)) return null;
        var link = values.Single();
        Assert.EndsWith("; rel=\"next\"", link);
        var url = new Uri(link[1..link.IndexOf('>')]);
        return url.PathAndQuery;
    }
}
