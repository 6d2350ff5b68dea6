using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Auditing;

/// <summary>GET /api/v1/audit/: the caller's events across the account and all its instances, newest first.</summary>
public sealed class AuditFeedTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string Feed = "/api/v1/audit/";

    private static string[] Types(Reply reply) => reply.Array.Select(e => e!["type"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task The_feed_holds_the_account_and_its_instances_including_deleted_ones_newest_first()
    {
        var john = await api.NewAccountAsync();
        var mallory = await api.NewAccountAsync();
        var kept = Uuid(await john.CreateInstanceAsync(("name", "kept"), ("ask_price", "0.5")));
        var gone = Uuid(await john.CreateInstanceAsync(("name", "gone"), ("ask_price", "0.5")));
        (await john.SendFormAsync(HttpMethod.Patch, Url(kept), ("ask_price", "0.25"))).EnsureStatus(200);
        (await john.DeleteAsync(Url(gone))).EnsureStatus(204);
        await mallory.CreateInstanceAsync();

        var feed = (await john.GetAsync(Feed)).EnsureStatus(200);

        Assert.Equal(
            ["instance_deleted", "instance_price_changed", "instance_registered", "instance_registered",
             "account_logged_in", "account_registered"],
            Types(feed));
        var johnsUuid = (await john.GetAsync("/api/v1/users/account/")).Object["uuid"]!.GetValue<string>();
        Assert.Equal([gone, kept, gone, kept, johnsUuid, johnsUuid],
            feed.Array.Select(e => e!["stream_id"]!.GetValue<string>()));
        Assert.Equal(["instance", "instance", "instance", "instance", "account", "account"],
            feed.Array.Select(e => e!["stream"]!.GetValue<string>()));
        var item = feed.Array[1]!.AsObject();
        Assert.Equal(["stream", "stream_id", "version", "type", "timestamp", "recorded_at", "actor", "correlation_id", "data"],
            item.Select(p => p.Key));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"ask_price":0.25}"""), item["data"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""{"email":"{{john.Username}}@example.com","username":"{{john.Username}}"}"""),
            feed.Array[5]!["data"]));
    }

    [Fact]
    public async Task Filters_by_instance_type_and_time()
    {
        var john = await api.NewAccountAsync();
        var a = Uuid(await john.CreateInstanceAsync(("name", "a"), ("ask_price", "0.5")));
        var b = Uuid(await john.CreateInstanceAsync(("name", "b"), ("ask_price", "0.5")));
        (await john.SendFormAsync(HttpMethod.Patch, Url(a), ("name", "a2"))).EnsureStatus(200);
        (await john.SendFormAsync(HttpMethod.Patch, Url(b), ("ask_price", "0.3"))).EnsureStatus(200);

        Assert.Equal(["instance_renamed", "instance_registered"], Types(await john.GetAsync($"{Feed}?instance={a}")));
        Assert.Equal(["instance_price_changed", "instance_renamed"],
            Types(await john.GetAsync($"{Feed}?type=instance_renamed&type=instance_price_changed")));
        Assert.Equal(["instance_renamed"], Types(await john.GetAsync($"{Feed}?type=instance_renamed&instance={a}")));
        Assert.Empty((await john.GetAsync($"{Feed}?type=instance_renamed&instance={b}")).EnsureStatus(200).Array);

        var all = (await john.GetAsync(Feed)).Array;
        var registeredAt = all.Last(e => e!["type"]!.GetValue<string>() == "instance_registered")!["recorded_at"]!.GetValue<string>();
        var latest = all[0]!["recorded_at"]!.GetValue<string>();
        // recorded_at is exact: since it includes that event, until it includes that event.
        var since = (await john.GetAsync($"{Feed}?since={Uri.EscapeDataString(registeredAt)}")).Array;
        Assert.Equal(4, since.Count);
        var until = (await john.GetAsync($"{Feed}?until={Uri.EscapeDataString(registeredAt)}")).Array;
        Assert.Equal(["instance_registered", "account_logged_in", "account_registered"], until.Select(e => e!["type"]!.GetValue<string>()));
        var between = (await john.GetAsync($"{Feed}?since={Uri.EscapeDataString(registeredAt)}&until={Uri.EscapeDataString(latest)}")).Array;
        Assert.Equal(4, between.Count);

        // dd-MM-yyyy HH:mm:ss as responses show it stands for the whole second.
        var wholeSecond = all[0]!["timestamp"]!.GetValue<string>();
        var upToThatSecond = (await john.GetAsync($"{Feed}?until={Uri.EscapeDataString(wholeSecond)}")).Array;
        Assert.Equal(all.Count, upToThatSecond.Count);
        Assert.Empty((await john.GetAsync($"{Feed}?since=2999-01-01")).Array);
        Assert.Empty((await john.GetAsync($"{Feed}?until=01-01-2000%2000:00:00")).Array);
    }

    [Fact]
    public async Task Cursor_paging_walks_the_whole_feed_once()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync(("name", "n0"), ("ask_price", "0.5")));
        for (var i = 1; i <= 5; i++)
            (await john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", $"n{i}"))).EnsureStatus(200);
        var everything = (await john.GetAsync(Feed)).Array;

        var seen = new List<string>();
        var url = $"{Feed}?limit=3&instance={id}";
        while (url is not null)
        {
            var page = (await john.GetAsync(url)).EnsureStatus(200);
            Assert.True(page.Array.Count <= 3);
            seen.AddRange(page.Array.Select(e => $"{e!["stream_id"]}/{e["version"]}"));
            url = InstanceEventsTests.NextLink(page);
            if (url is not null) Assert.Contains($"instance={id}", url); // filters carry over
        }

        Assert.Equal(["6", "5", "4", "3", "2", "1"], seen.Select(s => s.Split('/')[1]));
        Assert.Equal(everything.Count(e => e!["stream_id"]!.GetValue<string>() == id), seen.Count);
    }

    [Theory]
    [InlineData("type=instance_exploded", """{"type":["\"instance_exploded\" is not a valid choice."]}""")]
    [InlineData("instance=42", """{"instance":["Must be a valid UUID."]}""")]
    [InlineData("limit=0", """{"limit":["Ensure this value is greater than or equal to 1."]}""")]
    [InlineData("cursor=abc", """{"cursor":["A valid integer is required."]}""")]
    [InlineData("since=yesterday",
        """{"since":["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z], DD-MM-YYYY hh:mm:ss."]}""")]
    [InlineData("until=32-01-2020%2000:00:00",
        """{"until":["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z], DD-MM-YYYY hh:mm:ss."]}""")]
    public async Task Bad_filters_are_400_with_field_errors(string query, string expected)
    {
        var john = await api.NewAccountAsync();

        (await john.GetAsync($"{Feed}?{query}")).Is(400, expected);
    }

    [Fact]
    public async Task Another_accounts_instance_filter_shows_nothing_and_anonymous_is_401()
    {
        var john = await api.NewAccountAsync();
        var mallory = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());

        Assert.Empty((await mallory.GetAsync($"{Feed}?instance={id}")).EnsureStatus(200).Array);
        (await api.Anonymous().GetAsync(Feed)).EnsureStatus(401);
    }

    [Fact]
    public async Task Account_deletion_is_in_the_feed_with_the_instances_it_deleted()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        var johnsUuid = (await john.GetAsync("/api/v1/users/account/")).Object["uuid"]!.GetValue<string>();
        var before = (await john.GetAsync(Feed)).Array.Count;
        (await john.DeleteAsync("/api/v1/users/account/")).EnsureStatus(204);

        await using var connection = new Npgsql.NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select type, stream_id::text, user_name, headers ->> 'owner_id' from sharedcloud.mt_events " +
            "where headers ->> 'owner_id' = @owner order by seq_id desc limit 2", connection);
        command.Parameters.AddWithValue("owner", johnsUuid);
        var last = new List<(string, string, string, string)>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                last.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));

        Assert.Equal([("account_deleted", johnsUuid, john.Username, johnsUuid), ("instance_deleted", id, john.Username, johnsUuid)],
            last.Order()); // one transaction: their order within it does not matter
        Assert.True(before >= 3);
    }
}
