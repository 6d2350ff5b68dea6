using System.Net;
using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Instances;
using Sharedcloud.Es.Api.Tests.Transport;
using static Sharedcloud.Es.Api.Tests.Infrastructure.ConditionalRequests;

namespace Sharedcloud.Es.Api.Tests.Accounts;

/// <summary>
/// ETag, If-None-Match and If-Match on /api/v1/users/account/: the tag is the account stream's version.
/// A new account from <see cref="ApiFactory.NewAccountAsync"/> is at version 2 (signed up, logged in).
/// </summary>
public sealed class AccountConditionalRequestTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string Url = "/api/v1/users/account/";

    private static string Stale(long current) =>
        new JsonObject { ["detail"] = $"Precondition failed: the account was modified (current version {current})." }.ToJsonString();

    private async Task<string> IdOf(ApiClient client) =>
        (await client.GetAsync(Url)).EnsureStatus(200).Object["uuid"]!.GetValue<string>();

    /// <summary>The account, its key still working, and its stream, as they were.</summary>
    private async Task AssertUnchanged(ApiClient client, JsonObject before, long version)
    {
        var now = (await client.GetAsync(Url)).EnsureStatus(200);
        Assert.Equal(Without(before, "current_server_time"), Without(now.Object, "current_server_time"));
        Assert.Equal(Tag(version), now.ETag());
        Assert.Equal(version, await api.EventCountAsync(now.Object["uuid"]!.GetValue<string>()));
    }

    private static string Without(JsonObject o, string key)
    {
        var copy = o.DeepClone().AsObject();
        copy.Remove(key);
        return copy.ToJsonString();
    }

    private ApiClient WithNewKey(string key) => api.WithKey(key);

    // ---- ETag ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Sign_up_get_and_patch_carry_the_account_stream_version()
    {
        var username = TestHelpers.NewUsername();
        var signUp = (await api.Client().SignUpAsync(username, $"{username}@example.com", "a-long-enough-passphrase")).EnsureStatus(201);
        var key = await api.Client().LogInAsync(username, "a-long-enough-passphrase");
        var john = WithNewKey(key);

        var read = (await john.GetAsync(Url)).EnsureStatus(200);
        var patched = (await john.PatchFormAsync(Url, ("email", "changed@example.com"))).EnsureStatus(200);

        Assert.Equal(["\"1\"", "\"2\"", "\"4\""], new[] { signUp, read, patched }.Select(r => r.ETag())); // + email, key rotated
        Assert.Equal(4, await api.EventCountAsync(signUp.Object["uuid"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_tag_follows_events_the_account_does_not_show()
    {
        // A password change shows nothing in the account, but it is a new version of the stream.
        var john = await api.NewAccountAsync();

        var changed = (await john.SendFormAsync(HttpMethod.Patch, Url, Tag(2), ("password", "another-long-passphrase"))).EnsureStatus(200);
        Assert.Equal(Tag(4), changed.ETag()); // account_password_changed, account_key_rotated

        var again = WithNewKey(await api.Client().LogInAsync(john.Username, "another-long-passphrase")); // account_logged_in
        var read = (await again.GetAsync(Url)).EnsureStatus(200);
        Assert.Equal(Tag(5), read.ETag());
        Assert.Equal(5, await api.EventCountAsync(read.Object["uuid"]!.GetValue<string>()));
        (await again.SendFormAsync(HttpMethod.Patch, Url, Tag(5), ("email", "new@example.com"))).EnsureStatus(200);
    }

    // ---- If-None-Match ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData("\"2\"")]
    [InlineData("W/\"2\"")]
    [InlineData("*")]
    [InlineData("\"1\", \"2\"")]
    public async Task A_get_that_matches_if_none_match_is_304_without_a_body(string ifNoneMatch)
    {
        var john = await api.NewAccountAsync();

        var reply = await john.GetAsync(Url, ifNoneMatch);

        Assert.Equal(HttpStatusCode.NotModified, reply.Status);
        Assert.Equal("", reply.Body);
        Assert.Equal(Tag(2), reply.ETag());
    }

    [Fact]
    public async Task A_get_with_a_stale_tag_is_200_with_the_account()
    {
        var john = await api.NewAccountAsync();

        var reply = (await john.GetAsync(Url, Tag(1))).EnsureStatus(200);

        TestHelpers.AssertAccount(reply.Json, john.Username, $"{john.Username}@example.com", loggedIn: true);
        Assert.Equal(Tag(2), reply.ETag());
    }

    // ---- If-Match ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("\"2\"")]
    [InlineData("*")]
    [InlineData("\"1\", \"2\"")]
    public async Task A_patch_that_matches_if_match_is_applied_and_answers_the_new_tag(string ifMatch)
    {
        var john = await api.NewAccountAsync();

        var reply = await john.SendFormAsync(HttpMethod.Patch, Url, ifMatch, ("email", "new@example.com"));

        reply.EnsureStatus(200);
        Assert.Equal("new@example.com", reply.Object["email"]!.GetValue<string>());
        Assert.Equal(Tag(4), reply.ETag());
    }

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("\"3\"")]
    [InlineData("W/\"2\"")] // strong comparison: a weak tag never matches
    [InlineData("\"02\"")]
    [InlineData("2")]
    public async Task A_patch_with_a_stale_if_match_is_412_and_writes_nothing(string ifMatch)
    {
        var john = await api.NewAccountAsync();
        var before = (await john.GetAsync(Url)).EnsureStatus(200).Object;

        (await john.SendFormAsync(HttpMethod.Patch, Url, ifMatch, ("email", "new@example.com"), ("password", "another-long-passphrase")))
            .Is(412, Stale(2));

        await AssertUnchanged(john, before, 2); // and the key was not rotated: it still works
        Assert.Equal(john.Key, await api.Client().LogInAsync(john.Username, john.Password));
    }

    [Fact]
    public async Task A_stale_precondition_is_412_before_the_body_is_judged()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var before = (await john.GetAsync(Url)).EnsureStatus(200).Object;

        (await john.SendFormAsync(HttpMethod.Patch, Url, Tag(1), ("email", "not an address"))).Is(412, Stale(2));
        (await john.SendFormAsync(HttpMethod.Patch, Url, Tag(1), ("username", jane.Username))).Is(412, Stale(2));
        (await john.SendFormAsync(HttpMethod.Patch, Url, Tag(1), ("password", "123"))).Is(412, Stale(2));
        (await john.SendRawAsync(HttpMethod.Patch, Url, Tag(1), "{not json", "application/json")).Is(412, Stale(2));
        await AssertUnchanged(john, before, 2);

        TestHelpers.IsFieldErrors(await john.SendFormAsync(HttpMethod.Patch, Url, Tag(2), ("email", "not an address")),
            ("email", ["Enter a valid email address."]));
        await AssertUnchanged(john, before, 2);
    }

    [Fact]
    public async Task A_delete_with_a_stale_if_match_is_412_and_deletes_nothing()
    {
        var john = await api.NewAccountAsync();
        var instance = await john.CreateInstanceAsync();
        var before = (await john.GetAsync(Url)).EnsureStatus(200).Object;

        (await john.DeleteAsync(Url, Tag(1))).Is(412, Stale(2));
        (await john.DeleteAsync(Url, "W/\"2\"")).Is(412, Stale(2));
        await AssertUnchanged(john, before, 2);
        (await john.GetAsync(InstanceTestKit.Url(instance))).EnsureStatus(200);

        Assert.Equal(HttpStatusCode.NoContent, (await john.DeleteAsync(Url, Tag(2))).Status);
        (await api.WithKey(john.Key).GetAsync(Url)).IsUnauthorized("Invalid token.");
    }

    [Fact]
    public async Task Authentication_comes_before_the_precondition()
    {
        var john = await api.NewAccountAsync();
        var oldKey = john.Key;
        (await john.PatchFormAsync(Url, ("email", "new@example.com"))).EnsureStatus(200); // rotates the key

        (await api.WithKey(oldKey).SendFormAsync(HttpMethod.Patch, Url, Tag(1), ("email", "x"))).IsUnauthorized("Invalid token.");
        (await api.Client().DeleteAsync(Url, Tag(1))).IsUnauthorized("Authentication credentials were not provided.");
    }

    // ---- concurrency ----------------------------------------------------------------------------------------

    /// <summary>Ten PATCHes of the email, each to its own address, released at the same moment.</summary>
    private static async Task<(string Email, Reply Reply)[]> RaceEmailChangesAsync(ApiClient john, string? ifMatch)
    {
        var emails = Enumerable.Range(1, 10).Select(i => $"racer-{i:00}@example.com").ToArray();
        using var start = new SemaphoreSlim(0);
        var requests = emails.Select(async email =>
        {
            await start.WaitAsync();
            return (Email: email, Reply: await john.SendFormAsync(HttpMethod.Patch, Url, ifMatch, ("email", email)));
        }).ToArray();
        start.Release(emails.Length);
        return await Task.WhenAll(requests);
    }

    [Fact]
    public async Task Of_parallel_patches_with_one_if_match_exactly_one_is_applied_and_the_rest_are_412()
    {
        var john = await api.NewAccountAsync();
        var id = await IdOf(john);
        var replies = await RaceEmailChangesAsync(john, Tag(2));

        var winner = Assert.Single(replies, r => r.Reply.Status == HttpStatusCode.OK);
        Assert.Equal(Tag(4), winner.Reply.ETag());
        // The winner rotated the key: a request authenticated after that is 401, never applied.
        foreach (var (_, reply) in replies.Where(r => r != winner))
            if (reply.Status != HttpStatusCode.Unauthorized) reply.Is(412, Stale(4));

        var events = await api.EventsAsync(id);
        Assert.Equal(["account_registered", "account_logged_in", "account_email_changed", "account_key_rotated"], events.Select(e => e.Type));
        Assert.Equal(winner.Email, events[2].Data["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_if_match_parallel_patches_are_applied_one_after_another_and_none_is_lost()
    {
        var john = await api.NewAccountAsync();
        var id = await IdOf(john);
        var replies = await RaceEmailChangesAsync(john, ifMatch: null);

        // Each change rotates the key: requests authenticated after the first commit are 401; every other one is applied.
        Assert.All(replies, r => Assert.True(r.Reply.Status is HttpStatusCode.OK or HttpStatusCode.Unauthorized,
            $"{(int)r.Reply.Status} {r.Reply.Body}"));
        var applied = replies.Where(r => r.Reply.Status == HttpStatusCode.OK).Select(r => r.Email).Order().ToArray();
        Assert.NotEmpty(applied);

        var events = await api.EventsAsync(id);
        var changes = events.Where(e => e.Type == "account_email_changed").Select(e => e.Data["email"]!.GetValue<string>()).ToArray();
        Assert.Equal(applied, changes.Order());
        var key = await api.Client().LogInAsync(john.Username, john.Password);
        Assert.Equal(changes[^1], (await api.WithKey(key).GetAsync(Url)).EnsureStatus(200).Object["email"]!.GetValue<string>());
    }
}
