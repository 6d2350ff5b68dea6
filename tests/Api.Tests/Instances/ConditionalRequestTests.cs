using System.Net;
using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;
using static Sharedcloud.Es.Api.Tests.Infrastructure.ConditionalRequests;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Instances;

/// <summary>ETag, If-None-Match and If-Match on one instance: the entity tag is the stream version.</summary>
public sealed class ConditionalRequestTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static string Stale(long current) =>
        new JsonObject { ["detail"] = $"Precondition failed: the instance was modified (current version {current})." }.ToJsonString();

    private static async Task<JsonArray> HistoryAsync(ApiClient client, JsonObject instance) =>
        (await client.GetAsync($"{Url(instance)}events/")).EnsureStatus(200).Array;

    /// <summary>An instance at version 2 (created, then renamed).</summary>
    private static async Task<JsonObject> AtVersionTwoAsync(ApiClient client)
    {
        var created = await client.CreateInstanceAsync(("name", "box"), ("ask_price", "0.02"));
        return (await client.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "renamed"))).EnsureStatus(200).Object;
    }

    /// <summary>Asserts that the instance and its history are as they were.</summary>
    private static async Task AssertUnchanged(ApiClient client, JsonObject before, int events)
    {
        var now = (await client.GetAsync(Url(before))).EnsureStatus(200);
        Assert.Equal(Stored(before).ToJsonString(), Stored(now.Object).ToJsonString());
        Assert.Equal(Tag(events), now.ETag());
        Assert.Equal(events, (await HistoryAsync(client, before)).Count);
    }

    // ---- ETag ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Every_single_instance_response_carries_the_stream_version_as_a_strong_tag()
    {
        var john = await api.NewAccountAsync();

        var created = (await john.PostFormAsync(InstancesUrl, ("name", "box"), ("ask_price", "0.02"))).EnsureStatus(201);
        var url = Url(created.Object);
        var read = (await john.GetAsync(url)).EnsureStatus(200);
        var patched = (await john.SendFormAsync(HttpMethod.Patch, url, ("name", "renamed"))).EnsureStatus(200);
        var put = (await john.SendJsonAsync(HttpMethod.Put, url, new { name = "again", ask_price = 1.5m })).EnsureStatus(200);
        var unchanged = (await john.SendFormAsync(HttpMethod.Patch, url, ("name", "again"))).EnsureStatus(200);
        var past = (await john.GetAsync($"{url}?version=2")).EnsureStatus(200);

        Assert.Equal(["\"1\"", "\"1\"", "\"2\"", "\"4\"", "\"4\"", "\"2\""],
            new[] { created, read, patched, put, unchanged, past }.Select(r => r.ETag()));
        Assert.Null((await john.GetAsync(InstancesUrl)).EnsureStatus(200).ETag()); // a list has no single version
    }

    // ---- If-None-Match ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData("\"2\"")]
    [InlineData("W/\"2\"")] // weak comparison for If-None-Match
    [InlineData("*")]
    [InlineData("\"1\", \"2\"")]
    [InlineData("\"7\",W/\"2\"")]
    public async Task A_get_that_matches_if_none_match_is_304_without_a_body(string ifNoneMatch)
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);

        var reply = await john.GetAsync(Url(instance), ifNoneMatch);

        Assert.Equal(HttpStatusCode.NotModified, reply.Status);
        Assert.Equal("", reply.Body);
        Assert.Equal(Tag(2), reply.ETag());
    }

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("\"3\"")]
    [InlineData("\"02\"")]
    [InlineData("2")] // malformed: no quotes
    public async Task A_get_that_does_not_match_if_none_match_is_200_with_the_instance(string ifNoneMatch)
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);

        var reply = (await john.GetAsync(Url(instance), ifNoneMatch)).EnsureStatus(200);

        Assert.Equal(Stored(instance).ToJsonString(), Stored(AssertInstanceShape(reply.Json)).ToJsonString());
        Assert.Equal(Tag(2), reply.ETag());
    }

    [Fact]
    public async Task A_tag_goes_stale_when_the_instance_changes()
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);
        Assert.Equal(HttpStatusCode.NotModified, (await john.GetAsync(Url(instance), Tag(2))).Status);

        (await john.SendFormAsync(HttpMethod.Patch, Url(instance), ("ask_price", "3"))).EnsureStatus(200);

        var reply = (await john.GetAsync(Url(instance), Tag(2))).EnsureStatus(200);
        Assert.Equal(Tag(3), reply.ETag());
        Assert.Equal(3, reply.Object["ask_price"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task If_none_match_on_another_accounts_instance_is_404()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var instance = await john.CreateInstanceAsync();

        (await jane.GetAsync(Url(instance), "*")).Is(404, NotFound);
        (await jane.GetAsync(Url(instance), Tag(1))).Is(404, NotFound);
    }

    // ---- If-Match ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("PATCH")]
    [InlineData("PUT")]
    public async Task A_write_that_matches_if_match_is_applied_and_answers_the_new_tag(string method)
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);

        var reply = await john.SendFormAsync(new HttpMethod(method), Url(instance), Tag(2), ("name", "third"), ("ask_price", "0.02"));

        reply.EnsureStatus(200);
        Assert.Equal(Tag(3), reply.ETag());
        Assert.Equal("third", reply.Object["name"]!.GetValue<string>());
        Assert.Equal(Tag(3), (await john.GetAsync(Url(instance))).ETag());
    }

    [Theory]
    [InlineData("*")]
    [InlineData("\"1\", \"2\"")]
    [InlineData("\"9\",,\"2\"")]
    [InlineData("W/\"1\", \"2\"")]
    public async Task If_match_with_any_version_or_a_list_holding_the_current_one_is_applied(string ifMatch)
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);

        var reply = await john.SendFormAsync(HttpMethod.Patch, Url(instance), ifMatch, ("name", "third"));

        reply.EnsureStatus(200);
        Assert.Equal(Tag(3), reply.ETag());
    }

    [Theory]
    [InlineData("PATCH", "\"1\"")]
    [InlineData("PUT", "\"1\"")]
    [InlineData("PATCH", "\"3\"")]
    [InlineData("PATCH", "\"1\", \"3\"")]
    [InlineData("PATCH", "W/\"2\"")] // strong comparison: a weak tag never matches
    [InlineData("PATCH", "\"02\"")]
    [InlineData("PATCH", "\"abc\"")]
    [InlineData("PATCH", "2")] // malformed: matches nothing rather than being ignored
    [InlineData("PATCH", "\"2")]
    [InlineData("PATCH", "*, \"2\"")]
    [InlineData("PATCH", "")]
    public async Task A_write_with_a_stale_if_match_is_412_and_writes_nothing(string method, string ifMatch)
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);

        var reply = await john.SendFormAsync(new HttpMethod(method), Url(instance), ifMatch, ("name", "third"), ("ask_price", "5"));

        reply.Is(412, Stale(2));
        await AssertUnchanged(john, instance, events: 2);
    }

    [Fact]
    public async Task A_delete_with_a_stale_if_match_is_412_and_deletes_nothing()
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);

        (await john.DeleteAsync(Url(instance), Tag(1))).Is(412, Stale(2));
        (await john.DeleteAsync(Url(instance), "W/\"2\"")).Is(412, Stale(2));
        await AssertUnchanged(john, instance, events: 2);

        var deleted = await john.DeleteAsync(Url(instance), Tag(2));
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        (await john.GetAsync(Url(instance))).Is(404, NotFound);
        Assert.Equal("instance_deleted", (await HistoryAsync(john, instance))[^1]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_delete_with_if_match_any_deletes()
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);

        Assert.Equal(HttpStatusCode.NoContent, (await john.DeleteAsync(Url(instance), "*")).Status);
        (await john.DeleteAsync(Url(instance), "*")).Is(404, NotFound);
    }

    // ---- the order of the checks: 401, 404, 412, 400 ---------------------------------------------------------

    [Fact]
    public async Task Authentication_comes_before_the_precondition()
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);

        (await api.Client().SendFormAsync(HttpMethod.Patch, Url(instance), Tag(1), ("name", "x")))
            .IsUnauthorized("Authentication credentials were not provided.");
        (await api.Client().DeleteAsync(Url(instance), Tag(1))).IsUnauthorized("Authentication credentials were not provided.");
    }

    [Fact]
    public async Task An_instance_the_caller_cannot_see_is_404_before_the_precondition()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var johns = await AtVersionTwoAsync(john);
        var deleted = await AtVersionTwoAsync(jane);
        (await jane.DeleteAsync(Url(deleted))).EnsureStatus(204);

        foreach (var ifMatch in new[] { Tag(1), Tag(2), "*" })
        {
            (await jane.SendFormAsync(HttpMethod.Patch, Url(johns), ifMatch, ("type", "gpu"))).Is(404, NotFound);
            (await jane.SendFormAsync(HttpMethod.Put, Url(johns), ifMatch)).Is(404, NotFound);
            (await jane.DeleteAsync(Url(johns), ifMatch)).Is(404, NotFound);
            (await jane.SendFormAsync(HttpMethod.Patch, Url(deleted), ifMatch, ("name", "x"))).Is(404, NotFound);
            (await jane.DeleteAsync(Url(deleted), ifMatch)).Is(404, NotFound);
            (await jane.SendFormAsync(HttpMethod.Patch, Url(Guid.NewGuid().ToString()), ifMatch, ("name", "x"))).Is(404, NotFound);
        }
        await AssertUnchanged(john, johns, events: 2);
    }

    [Fact]
    public async Task A_stale_precondition_is_412_before_the_body_is_judged()
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);
        var url = Url(instance);

        (await john.SendFormAsync(HttpMethod.Patch, url, Tag(1), ("type", "gpu"))).Is(412, Stale(2)); // gpu missing
        (await john.SendFormAsync(HttpMethod.Patch, url, Tag(1), ("name", ""), ("ask_price", "x"))).Is(412, Stale(2));
        (await john.SendFormAsync(HttpMethod.Put, url, Tag(1))).Is(412, Stale(2)); // name and price required
        (await john.SendRawAsync(HttpMethod.Patch, url, Tag(1), "{not json", "application/json")).Is(412, Stale(2));
        (await john.SendRawAsync(HttpMethod.Patch, url, Tag(1), "name=x", "text/plain")).Is(412, Stale(2));
        await AssertUnchanged(john, instance, events: 2);

        // with a current precondition, the same bodies are judged as ever
        (await john.SendFormAsync(HttpMethod.Patch, url, Tag(2), ("type", "gpu"))).IsFieldErrors(("gpu", [GpuRequired]));
        (await john.SendFormAsync(HttpMethod.Put, url, Tag(2))).IsFieldErrors(("name", [Required]), ("ask_price", [Required]));
        await AssertUnchanged(john, instance, events: 2);
    }

    // ---- concurrency ----------------------------------------------------------------------------------------

    [Fact]
    public async Task Of_parallel_patches_with_one_if_match_exactly_one_is_applied_and_the_rest_are_412()
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);
        var names = Enumerable.Range(1, 12).Select(i => $"racer-{i:00}").ToArray();

        using var start = new SemaphoreSlim(0);
        var requests = names.Select(async name =>
        {
            await start.WaitAsync();
            return (Name: name, Reply: await john.SendFormAsync(HttpMethod.Patch, Url(instance), Tag(2), ("uuid", Uuid(instance)), ("name", name)));
        }).ToArray();
        start.Release(names.Length);
        var replies = await Task.WhenAll(requests);

        var winner = Assert.Single(replies, r => r.Reply.Status == HttpStatusCode.OK);
        Assert.Equal(Tag(3), winner.Reply.ETag());
        foreach (var (_, reply) in replies.Where(r => r != winner)) reply.Is(412, Stale(3));

        var history = await HistoryAsync(john, instance);
        Assert.Equal(3, history.Count);
        Assert.Equal(winner.Name, history[2]!["data"]!["name"]!.GetValue<string>());
        Assert.Equal(winner.Name, (await john.GetAsync(Url(instance))).EnsureStatus(200).Object["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_if_match_parallel_patches_are_all_applied_and_none_is_lost()
    {
        var john = await api.NewAccountAsync();
        var instance = await AtVersionTwoAsync(john);
        var prices = Enumerable.Range(1, 12).Select(i => $"{i}.5").ToArray();

        using var start = new SemaphoreSlim(0);
        var requests = prices.Select(async price =>
        {
            await start.WaitAsync();
            return await john.SendFormAsync(HttpMethod.Patch, Url(instance), ifMatch: null, ("ask_price", price));
        }).ToArray();
        start.Release(prices.Length);
        var replies = await Task.WhenAll(requests);

        foreach (var reply in replies) reply.EnsureStatus(200);
        var history = await HistoryAsync(john, instance);
        Assert.Equal(2 + prices.Length, history.Count);
        Assert.Equal(prices.Order(), history.Skip(2).Select(e => e!["data"]!["ask_price"]!.ToJsonString()).Order());
        // each answer shows the instance after its own write (later writes may have come in between)
        Assert.All(replies, r => Assert.True(long.Parse(r.ETag()!.Trim('"')) >= 3, r.ETag()));
        var final = (await john.GetAsync(Url(instance))).EnsureStatus(200);
        Assert.Equal(Tag(2 + prices.Length), final.ETag());
        Assert.Equal(history[^1]!["data"]!["ask_price"]!.ToJsonString(), final.Object["ask_price"]!.ToJsonString());
    }
}
