using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;

namespace Sharedcloud.Es.Api.Tests.Accounts;

/// <summary>POST /api/v1/api-token-auth/ and GET /api/v1/users/.</summary>
public sealed class LoginTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string Password = "a-long-enough-passphrase";
    private const string WrongCredentials = """{"non_field_errors":["Unable to log in with provided credentials."]}""";

    private async Task<(string Username, Guid Uuid)> SignUpAsync()
    {
        var username = TestHelpers.NewUsername();
        var reply = await api.Client().SignUpAsync(username, $"{username}@example.com", Password);
        reply.EnsureStatus(201);
        return (username, Guid.Parse(reply.Object["uuid"]!.GetValue<string>()));
    }

    private Task<Reply> LogIn(string username, string password) =>
        api.Client().PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", password));

    [Fact]
    public async Task Logging_in_returns_200_with_a_forty_hex_key()
    {
        var (username, _) = await SignUpAsync();
        var reply = await LogIn(username, Password);

        reply.EnsureStatus(200).IsCompactUtf8Json();
        Assert.Equal(["token"], reply.Object.Keys());
        var key = reply.Object["token"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{40}$", key);
        reply.Is(200, new JsonObject { ["token"] = key });
    }

    [Fact]
    public async Task The_key_from_login_authenticates_as_that_account()
    {
        var (username, uuid) = await SignUpAsync();
        var key = (await LogIn(username, Password)).EnsureStatus(200).Object["token"]!.GetValue<string>();

        var accounts = (await api.WithKey(key).GetAsync("/api/v1/users/")).EnsureStatus(200).Array;
        var account = Assert.Single(accounts);
        Assert.Equal(uuid, TestHelpers.AssertAccount(account, username, $"{username}@example.com", loggedIn: true));
    }

    [Fact]
    public async Task Credentials_longer_than_any_account_allows_are_wrong_credentials_not_length_errors()
    {
        var (username, _) = await SignUpAsync();
        (await LogIn(new string('u', 151), Password)).Is(400, WrongCredentials);
        (await LogIn(username, new string('p', 5000))).Is(400, WrongCredentials);
        (await LogIn(username, Password)).EnsureStatus(200);
    }

    [Fact]
    public async Task Logging_in_with_JSON_works()
    {
        var (username, _) = await SignUpAsync();
        var reply = await api.Client().SendJsonAsync(HttpMethod.Post, "/api/v1/api-token-auth/",
            new { username, password = Password });
        reply.EnsureStatus(200);
        Assert.Matches("^[0-9a-f]{40}$", reply.Object["token"]!.GetValue<string>());
    }

    [Fact]
    public async Task Logging_in_with_multipart_works()
    {
        var (username, _) = await SignUpAsync();
        var reply = await api.Client().SendMultipartAsync(HttpMethod.Post, "/api/v1/api-token-auth/",
            ("username", username), ("password", Password));
        reply.EnsureStatus(200);
        Assert.Matches("^[0-9a-f]{40}$", reply.Object["token"]!.GetValue<string>());
    }

    [Fact]
    public async Task Logging_in_again_returns_the_same_key_whatever_the_encoding()
    {
        var (username, _) = await SignUpAsync();
        var first = (await LogIn(username, Password)).EnsureStatus(200).Object["token"]!.GetValue<string>();
        var second = (await LogIn(username, Password)).EnsureStatus(200).Object["token"]!.GetValue<string>();
        var third = (await api.Client().SendJsonAsync(HttpMethod.Post, "/api/v1/api-token-auth/",
            new { username, password = Password })).EnsureStatus(200).Object["token"]!.GetValue<string>();

        Assert.Equal(first, second);
        Assert.Equal(first, third);
        (await api.WithKey(first).GetAsync("/api/v1/users/")).EnsureStatus(200);
    }

    [Fact]
    public async Task Concurrent_logins_to_one_account_all_get_the_same_key()
    {
        var (username, _) = await SignUpAsync();

        var replies = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => LogIn(username, Password)));

        Assert.All(replies, r => r.EnsureStatus(200));
        var keys = replies.Select(r => r.Object["token"]!.GetValue<string>()).Distinct().ToList();
        var key = Assert.Single(keys);
        var account = (await api.WithKey(key).GetAsync("/api/v1/users/")).EnsureStatus(200).Array.Single();
        TestHelpers.AssertAccount(account, username, $"{username}@example.com", loggedIn: true);
    }

    [Fact]
    public async Task Different_accounts_get_different_keys()
    {
        var (john, _) = await SignUpAsync();
        var (jane, _) = await SignUpAsync();
        var johnKey = (await LogIn(john, Password)).EnsureStatus(200).Object["token"]!.GetValue<string>();
        var janeKey = (await LogIn(jane, Password)).EnsureStatus(200).Object["token"]!.GetValue<string>();
        Assert.NotEqual(johnKey, janeKey);
    }

    [Fact]
    public async Task A_wrong_password_is_refused()
    {
        var (username, _) = await SignUpAsync();
        (await LogIn(username, "not-the-passphrase")).Is(400, WrongCredentials).IsCompactUtf8Json();
        (await LogIn(username, Password.ToUpperInvariant())).Is(400, WrongCredentials);
        (await LogIn(username, Password + " ")).Is(400, WrongCredentials);
    }

    [Fact]
    public async Task An_unknown_username_is_refused_alike()
    {
        await SignUpAsync();
        (await LogIn("nobody-" + Guid.NewGuid().ToString("N")[..8], Password)).Is(400, WrongCredentials);
    }

    [Fact]
    public async Task The_username_must_match_exactly()
    {
        var (username, _) = await SignUpAsync();
        (await LogIn(username.ToUpperInvariant(), Password)).Is(400, WrongCredentials);
    }

    [Fact]
    public async Task Missing_fields_are_all_reported()
    {
        (await api.Client().PostFormAsync("/api/v1/api-token-auth/"))
            .Is(400, """{"username":["This field is required."],"password":["This field is required."]}""");
        (await api.Client().SendRawAsync(HttpMethod.Post, "/api/v1/api-token-auth/", "{}", "application/json"))
            .Is(400, """{"username":["This field is required."],"password":["This field is required."]}""");
    }

    [Fact]
    public async Task Blank_fields_are_all_reported()
    {
        (await LogIn("", ""))
            .Is(400, """{"username":["This field may not be blank."],"password":["This field may not be blank."]}""");
    }

    [Fact]
    public async Task A_missing_password_is_reported_without_checking_credentials()
    {
        var (username, _) = await SignUpAsync();
        (await api.Client().PostFormAsync("/api/v1/api-token-auth/", ("username", username)))
            .Is(400, """{"password":["This field is required."]}""");
    }

    [Fact]
    public async Task A_new_account_has_no_last_login_until_it_logs_in()
    {
        var username = TestHelpers.NewUsername();
        var signUp = await api.Client().SignUpAsync(username, "john@example.com", Password);
        TestHelpers.AssertAccount(signUp.EnsureStatus(201).Json, username, "john@example.com", loggedIn: false);

        var key = (await LogIn(username, Password)).EnsureStatus(200).Object["token"]!.GetValue<string>();

        var account = (await api.WithKey(key).GetAsync("/api/v1/users/")).EnsureStatus(200).Array.Single();
        TestHelpers.AssertAccount(account, username, "john@example.com", loggedIn: true);
        Assert.Equal(signUp.Object["date_joined"]!.GetValue<string>(), account!["date_joined"]!.GetValue<string>());
        Assert.Equal(signUp.Object["uuid"]!.GetValue<string>(), account["uuid"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_later_login_moves_last_login_forward()
    {
        var (username, _) = await SignUpAsync();
        var key = (await LogIn(username, Password)).EnsureStatus(200).Object["token"]!.GetValue<string>();
        var first = TestHelpers.Timestamp((await api.WithKey(key).GetAsync("/api/v1/users/")).Array.Single()!["last_login"]);

        (await LogIn(username, Password)).EnsureStatus(200);

        var second = TestHelpers.Timestamp((await api.WithKey(key).GetAsync("/api/v1/users/")).Array.Single()!["last_login"]);
        Assert.True(second >= first, $"last_login went back from {first} to {second}");
    }

    [Fact]
    public async Task A_failed_login_leaves_last_login_alone_and_keeps_the_key()
    {
        var username = TestHelpers.NewUsername();
        (await api.Client().SignUpAsync(username, "john@example.com", Password)).EnsureStatus(201);
        (await LogIn(username, "wrong-passphrase")).Is(400, WrongCredentials);

        var key = (await LogIn(username, Password)).EnsureStatus(200).Object["token"]!.GetValue<string>();
        (await LogIn(username, "wrong-passphrase")).Is(400, WrongCredentials);

        (await api.WithKey(key).GetAsync("/api/v1/users/")).EnsureStatus(200);
        Assert.Equal(key, (await LogIn(username, Password)).EnsureStatus(200).Object["token"]!.GetValue<string>());
    }

    [Fact]
    public async Task Listing_users_returns_a_bare_array_with_only_the_caller()
    {
        var john = await api.NewAccountAsync();
        await api.NewAccountAsync();
        await api.NewAccountAsync();

        var reply = await api.WithKey(john.Key).GetAsync("/api/v1/users/");

        reply.EnsureStatus(200).IsCompactUtf8Json();
        Assert.StartsWith("[", reply.Body);
        var only = Assert.Single(reply.Array);
        TestHelpers.AssertAccount(only, john.Username, $"{john.Username}@example.com", loggedIn: true);
    }
}
