using System.Text.Json.Nodes;
using System.Net;
using Sharedcloud.Es.Api.Infrastructure.Idempotency;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;
using static Sharedcloud.Es.Api.Tests.Idempotency.IdempotencyKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Idempotency;

/// <summary>Idempotency-Key on unsafe requests: a repeat gets the first response and does no work.</summary>
public sealed class IdempotencyTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly (string, string)[] Box = [("name", "box"), ("ask_price", "0.5")];

    // ---- replays ----

    [Fact]
    public async Task A_retried_create_gets_the_first_response_and_makes_one_instance()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();

        var first = await john.PostWithKeyAsync(key, InstancesUrl, Box);
        var retry = await john.PostWithKeyAsync(key, InstancesUrl, Box);

        first.EnsureStatus(201);
        Assert.False(first.IsReplayed());
        retry.EnsureStatus(201);
        Assert.True(retry.IsReplayed());
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(first.ContentHeaders.ContentType, retry.ContentHeaders.ContentType);
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(first.Headers.ETag, retry.Headers.ETag);
        var listed = Assert.Single((await john.GetAsync(InstancesUrl)).EnsureStatus(200).Array);
        Assert.Equal(Uuid(first.Object), listed!["uuid"]!.GetValue<string>());
        Assert.Equal(1, await api.EventCountAsync(Uuid(first.Object)));
    }

    [Fact]
    public async Task A_trailing_slash_does_not_make_another_request()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();

        var first = (await john.PostWithKeyAsync(key, "/api/v1/instances/", Box)).EnsureStatus(201);
        var retry = (await john.PostWithKeyAsync(key, "/api/v1/instances", Box)).EnsureStatus(201);

        Assert.True(retry.IsReplayed());
        Assert.Equal(first.Body, retry.Body);
        Assert.Single((await john.GetAsync(InstancesUrl)).Array);
    }

    [Fact]
    public async Task Without_a_key_two_posts_make_two_instances()
    {
        var john = await api.NewAccountAsync();

        var first = (await john.PostFormAsync(InstancesUrl, Box)).EnsureStatus(201);
        var second = (await john.PostFormAsync(InstancesUrl, Box)).EnsureStatus(201);

        Assert.False(first.IsReplayed() || second.IsReplayed());
        Assert.NotEqual(Uuid(first.Object), Uuid(second.Object));
        Assert.Equal(2, (await john.GetAsync(InstancesUrl)).Array.Count);
    }

    [Fact]
    public async Task A_validation_error_is_replayed_too()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();

        var first = await john.PostWithKeyAsync(key, InstancesUrl, ("name", "box"));
        var retry = await john.PostWithKeyAsync(key, InstancesUrl, ("name", "box"));

        TestHelpers.IsFieldErrors(first, ("ask_price", [Required]));
        Assert.False(first.IsReplayed());
        TestHelpers.IsFieldErrors(retry, ("ask_price", [Required]));
        Assert.True(retry.IsReplayed());
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(400, Assert.Single(await api.StoredKeysAsync(key)).Status);
        Assert.Empty((await john.GetAsync(InstancesUrl)).Array);
    }

    [Fact]
    public async Task A_status_code_error_is_stored_with_its_body_and_replayed()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();
        var url = $"/api/v1/instances/{Guid.NewGuid()}/"; // a route without POST: routing's bare 405, given its body

        var first = await john.PostWithKeyAsync(key, url, ("name", "box"));
        var retry = await john.PostWithKeyAsync(key, url, ("name", "box"));

        first.Is(405, new JsonObject { ["detail"] = "Method \"POST\" not allowed." });
        Assert.False(first.IsReplayed());
        retry.Is(405, new JsonObject { ["detail"] = "Method \"POST\" not allowed." });
        Assert.True(retry.IsReplayed());
        Assert.Equal(405, Assert.Single(await api.StoredKeysAsync(key)).Status);
    }

    [Fact]
    public async Task A_retried_patch_gets_its_first_response_and_does_not_undo_a_later_change()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        var key = NewKey();

        var first = (await john.SendFormWithKeyAsync(key, HttpMethod.Patch, Url(created), ("name", "renamed"))).EnsureStatus(200);
        (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "later"))).EnsureStatus(200);
        var retry = (await john.SendFormWithKeyAsync(key, HttpMethod.Patch, Url(created), ("name", "renamed"))).EnsureStatus(200);

        Assert.True(retry.IsReplayed());
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal("renamed", retry.Object["name"]!.GetValue<string>());
        Assert.Equal("later", (await john.GetAsync(Url(created))).Object["name"]!.GetValue<string>());
        Assert.Equal(["instance_registered", "instance_renamed", "instance_renamed"], await api.EventTypesAsync(Uuid(created)));
    }

    [Fact]
    public async Task A_retried_put_is_replayed()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        var key = NewKey();

        var first = (await john.SendFormWithKeyAsync(key, HttpMethod.Put, Url(created), ("name", "put"), ("ask_price", "2"))).EnsureStatus(200);
        var retry = (await john.SendFormWithKeyAsync(key, HttpMethod.Put, Url(created), ("name", "put"), ("ask_price", "2"))).EnsureStatus(200);

        Assert.True(retry.IsReplayed());
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(["instance_registered", "instance_renamed", "instance_price_changed"], await api.EventTypesAsync(Uuid(created)));
    }

    [Fact]
    public async Task A_retried_delete_gets_the_stored_204_not_404()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        var key = NewKey();

        var first = await john.SendFormWithKeyAsync(key, HttpMethod.Delete, Url(created));
        var retry = await john.SendFormWithKeyAsync(key, HttpMethod.Delete, Url(created));

        Assert.Equal(HttpStatusCode.NoContent, first.Status);
        Assert.Equal(HttpStatusCode.NoContent, retry.Status);
        Assert.True(retry.IsReplayed());
        Assert.Equal("", retry.Body);
        (await john.DeleteAsync(Url(created))).Is(404, NotFound); // without the key: the instance is gone
        Assert.Equal(["instance_registered", "instance_deleted"], await api.EventTypesAsync(Uuid(created)));
    }

    [Fact]
    public async Task An_anonymous_sign_up_is_replayed_and_makes_one_account()
    {
        var anonymous = api.Client();
        var username = TestHelpers.NewUsername();
        var key = NewKey();
        (string, string)[] fields = [("username", username), ("email", $"{username}@example.com"), ("password", "a-long-enough-passphrase")];

        var first = (await anonymous.PostWithKeyAsync(key, "/api/v1/users/", fields)).EnsureStatus(201);
        var retry = (await anonymous.PostWithKeyAsync(key, "/api/v1/users/", fields)).EnsureStatus(201);

        Assert.True(retry.IsReplayed());
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(Guid.Empty, Assert.Single(await api.StoredKeysAsync(key)).AccountId);
        Assert.Single(await api.QueryStringsAsync(
            $"select id from sharedcloud.mt_doc_accountdetails where data->>'username' = '{username}'"));
    }

    [Fact]
    public async Task A_login_with_a_key_is_carried_out_but_not_stored_because_its_response_is_a_secret()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();

        var first = (await api.Client().PostWithKeyAsync(key, "/api/v1/api-token-auth/", ("username", john.Username), ("password", john.Password)))
            .EnsureStatus(200);
        var again = (await api.Client().PostWithKeyAsync(key, "/api/v1/api-token-auth/", ("username", john.Username), ("password", john.Password)))
            .EnsureStatus(200);

        Assert.False(again.IsReplayed());
        Assert.Equal(john.Key, first.Object["token"]!.GetValue<string>());
        Assert.Equal(first.Body, again.Body);
        Assert.Empty(await api.StoredKeysAsync(key));
        Assert.DoesNotContain(john.Key, await api.DumpDatabaseAsync());
    }

    // ---- reuse with another request ----

    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_writes_nothing()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();
        var first = (await john.PostWithKeyAsync(key, InstancesUrl, Box)).EnsureStatus(201);

        var reused = await john.PostWithKeyAsync(key, InstancesUrl, ("name", "other"), ("ask_price", "0.5"));

        reused.IsDetail(422, IdempotencyMiddleware.Reused);
        var listed = Assert.Single((await john.GetAsync(InstancesUrl)).Array);
        Assert.Equal(Uuid(first.Object), listed!["uuid"]!.GetValue<string>());
        Assert.Equal(201, Assert.Single(await api.StoredKeysAsync(key)).Status);
    }

    [Fact]
    public async Task The_same_key_with_another_path_is_422()
    {
        var john = await api.NewAccountAsync();
        var one = await john.CreateInstanceAsync();
        var other = await john.CreateInstanceAsync();
        var key = NewKey();
        (await john.SendFormWithKeyAsync(key, HttpMethod.Patch, Url(one), ("name", "renamed"))).EnsureStatus(200);

        var reused = await john.SendFormWithKeyAsync(key, HttpMethod.Patch, Url(other), ("name", "renamed"));

        reused.IsDetail(422, IdempotencyMiddleware.Reused);
        Assert.Equal("instance1", (await john.GetAsync(Url(other))).Object["name"]!.GetValue<string>());
        (await john.SendFormWithKeyAsync(key, HttpMethod.Put, Url(one), ("name", "renamed"))).IsDetail(422, IdempotencyMiddleware.Reused);
        (await john.SendFormWithKeyAsync(key, HttpMethod.Patch, Url(one) + "?x=1", ("name", "renamed")))
            .IsDetail(422, IdempotencyMiddleware.Reused);
    }

    [Fact]
    public async Task The_same_key_on_another_account_is_independent()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var key = NewKey();

        var johns = (await john.PostWithKeyAsync(key, InstancesUrl, Box)).EnsureStatus(201);
        var janes = (await jane.PostWithKeyAsync(key, InstancesUrl, Box)).EnsureStatus(201);

        Assert.False(janes.IsReplayed());
        Assert.NotEqual(Uuid(johns.Object), Uuid(janes.Object));
        Assert.Single((await john.GetAsync(InstancesUrl)).Array);
        Assert.Single((await jane.GetAsync(InstancesUrl)).Array);
        Assert.Equal(2, (await api.StoredKeysAsync(key)).Count);
    }

    // ---- concurrency ----

    [Fact]
    public async Task Twenty_concurrent_creates_with_one_key_make_exactly_one_instance()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();

        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, 20).Select(async _ =>
        {
            await start.WaitAsync();
            return await john.PostWithKeyAsync(key, InstancesUrl, Box);
        }).ToArray();
        start.Release(requests.Length);
        var replies = await Task.WhenAll(requests);

        var created = replies.Where(r => r.Status == HttpStatusCode.Created).ToArray();
        Assert.NotEmpty(created);
        Assert.All(replies, r => Assert.True(
            r.Status == HttpStatusCode.Created || r.Json["detail"]?.GetValue<string>() == IdempotencyMiddleware.InProgress,
            $"{(int)r.Status} {r.Body}"));
        Assert.Single(created.Select(r => r.Body).Distinct());
        Assert.Single(created, r => !r.IsReplayed());
        Assert.Single((await john.GetAsync(InstancesUrl)).Array);
    }

    // ---- the header ----

    public static TheoryData<string> InvalidKeys() => new()
    {
        new string('k', IdempotencyMiddleware.MaxKeyLength + 1),
        "tab\tinside",
        "bell\u0007",
        "delete\u007f",
    };

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public async Task An_invalid_key_is_400_and_nothing_is_done(string key)
    {
        var john = await api.NewAccountAsync();

        var reply = await john.PostWithKeyAsync(key, InstancesUrl, Box);

        reply.IsDetail(400, IdempotencyMiddleware.InvalidKey);
        Assert.Empty((await john.GetAsync(InstancesUrl)).Array);
    }

    [Fact]
    public async Task An_empty_key_is_400()
    {
        var john = await api.NewAccountAsync();
        var head = $"POST /api/v1/instances/ HTTP/1.1\r\nAuthorization: Token {john.Key}\r\n{Header}:\r\n" +
                   "Content-Type: application/x-www-form-urlencoded\r\n";

        var (status, body) = await api.SendRawAsync(head, "name=box&ask_price=0.5");

        Assert.StartsWith("HTTP/1.1 400", status);
        Assert.Contains(IdempotencyMiddleware.InvalidKey, body);
        Assert.Empty((await john.GetAsync(InstancesUrl)).Array);
    }

    [Fact]
    public async Task A_key_of_255_printable_characters_is_accepted()
    {
        var john = await api.NewAccountAsync();
        var key = string.Concat(Enumerable.Range(0, 255).Select(i => (char)(' ' + 1 + i % 94))); // '!' to '~'

        (await john.PostWithKeyAsync(key, InstancesUrl, Box)).EnsureStatus(201);
        var retry = (await john.PostWithKeyAsync(key, InstancesUrl, Box)).EnsureStatus(201);

        Assert.True(retry.IsReplayed());
        Assert.Single((await john.GetAsync(InstancesUrl)).Array);
    }

    [Fact]
    public async Task Two_key_headers_are_400()
    {
        var john = await api.NewAccountAsync();
        var head = $"POST /api/v1/instances/ HTTP/1.1\r\nAuthorization: Token {john.Key}\r\n{Header}: one\r\n{Header}: two\r\n" +
                   "Content-Type: application/x-www-form-urlencoded\r\n";

        var (status, body) = await api.SendRawAsync(head, "name=box&ask_price=0.5");

        Assert.StartsWith("HTTP/1.1 400", status);
        Assert.Contains(IdempotencyMiddleware.RepeatedHeader, body);
        Assert.Empty((await john.GetAsync(InstancesUrl)).Array);
    }

    [Fact]
    public async Task Authentication_still_comes_first()
    {
        var reply = await api.Client().PostWithKeyAsync(NewKey(), InstancesUrl, Box);

        reply.IsUnauthorized("Authentication credentials were not provided.");
    }

    [Fact]
    public async Task A_safe_request_ignores_the_key()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();

        var reply = await john.SendAsync(HttpMethod.Get, InstancesUrl, null, r => r.Headers.TryAddWithoutValidation(Header, key));

        reply.EnsureStatus(200);
        Assert.False(reply.IsReplayed());
        Assert.Empty(await api.StoredKeysAsync(key));
    }

    // ---- a crash between the commit and the stored response ----

    [Fact]
    public async Task A_retry_after_the_work_committed_but_its_response_was_lost_is_409_and_does_nothing()
    {
        var john = await api.NewAccountAsync();
        var key = NewKey();
        (await john.PostWithKeyAsync(key, InstancesUrl, Box)).EnsureStatus(201);
        // What a crash right after the commit leaves: the record the write's transaction made, no response.
        await api.ExecuteAsync($"update {IdempotencyStore.TableName} set status = null, headers = null, body = null where key = $1", key);

        var retry = await john.PostWithKeyAsync(key, InstancesUrl, Box);

        retry.IsDetail(409, IdempotencyMiddleware.ResponseLost);
        Assert.Single((await john.GetAsync(InstancesUrl)).Array);
        (await john.PostWithKeyAsync(key, InstancesUrl, ("name", "other"), ("ask_price", "1"))).IsDetail(422, IdempotencyMiddleware.Reused);
    }
}
