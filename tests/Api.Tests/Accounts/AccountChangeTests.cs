using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;

namespace Sharedcloud.Es.Api.Tests.Accounts;

/// <summary>PATCH /api/v1/users/account/: each field, key rotation, and what must not change.</summary>
public sealed class AccountChangeTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string Url = "/api/v1/users/account/";
    private const string InvalidToken = "Invalid token.";
    private const string WrongCredentials = """{"non_field_errors":["Unable to log in with provided credentials."]}""";

    private Task<Reply> LogIn(string username, string password) =>
        api.Client().PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", password));

    private async Task<string> KeyOf(string username, string password) =>
        (await LogIn(username, password)).EnsureStatus(200).Object["token"]!.GetValue<string>();

    private async Task<JsonNode> AccountOf(string key) =>
        (await api.WithKey(key).GetAsync("/api/v1/users/")).EnsureStatus(200).Array.Single()!;

    private async Task AssertKeyStillWorks(ApiClient john)
    {
        (await api.WithKey(john.Key).GetAsync("/api/v1/users/")).EnsureStatus(200);
        Assert.Equal(john.Key, await KeyOf(john.Username, john.Password));
    }

    private async Task AssertKeyRotated(string oldKey, string username, string password)
    {
        (await api.WithKey(oldKey).GetAsync("/api/v1/users/")).IsUnauthorized(InvalidToken);
        var newKey = await KeyOf(username, password);
        Assert.NotEqual(oldKey, newKey);
        Assert.Matches("^[0-9a-f]{40}$", newKey);
        (await api.WithKey(newKey).GetAsync("/api/v1/users/")).EnsureStatus(200);
        (await api.WithKey(oldKey).GetAsync("/api/v1/users/")).IsUnauthorized(InvalidToken);
    }

    // ---- each field -------------------------------------------------------------------------------------

    [Fact]
    public async Task Changing_the_email_returns_the_account_and_rotates_the_key()
    {
        var john = await api.NewAccountAsync();
        var before = await AccountOf(john.Key);

        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("email", "new-address@example.com"));

        reply.EnsureStatus(200).IsCompactUtf8Json();
        var uuid = TestHelpers.AssertAccount(reply.Json, john.Username, "new-address@example.com", loggedIn: true);
        Assert.Equal(before["uuid"]!.GetValue<string>(), uuid.ToString());
        Assert.Equal(before["date_joined"]!.GetValue<string>(), reply.Object["date_joined"]!.GetValue<string>());
        Assert.Equal(before["last_login"]!.GetValue<string>(), reply.Object["last_login"]!.GetValue<string>());
        await AssertKeyRotated(john.Key, john.Username, john.Password);
        var after = await AccountOf(await KeyOf(john.Username, john.Password));
        Assert.Equal("new-address@example.com", after["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task Changing_the_username_moves_the_login_to_the_new_name()
    {
        var john = await api.NewAccountAsync();
        var newName = TestHelpers.NewUsername("renamed");

        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("username", newName));

        reply.EnsureStatus(200);
        TestHelpers.AssertAccount(reply.Json, newName, $"{john.Username}@example.com", loggedIn: true);
        await AssertKeyRotated(john.Key, newName, john.Password);
        (await LogIn(john.Username, john.Password)).Is(400, WrongCredentials);
    }

    [Fact]
    public async Task A_freed_username_can_be_taken_by_someone_else()
    {
        var john = await api.NewAccountAsync();
        (await api.WithKey(john.Key).PatchFormAsync(Url, ("username", TestHelpers.NewUsername("renamed")))).EnsureStatus(200);

        (await api.Client().SignUpAsync(john.Username, "other@example.com", "another-long-passphrase")).EnsureStatus(201);
    }

    [Fact]
    public async Task Changing_the_password_rotates_the_key_and_only_the_new_password_logs_in()
    {
        var john = await api.NewAccountAsync();

        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("password", "a-brand-new-passphrase"));

        reply.EnsureStatus(200);
        TestHelpers.AssertAccount(reply.Json, john.Username, $"{john.Username}@example.com", loggedIn: true);
        Assert.DoesNotContain("a-brand-new-passphrase", reply.Body);
        (await LogIn(john.Username, john.Password)).Is(400, WrongCredentials);
        await AssertKeyRotated(john.Key, john.Username, "a-brand-new-passphrase");
    }

    [Fact]
    public async Task Changing_all_three_at_once_works()
    {
        var john = await api.NewAccountAsync();
        var newName = TestHelpers.NewUsername("all");

        var reply = await api.WithKey(john.Key).PatchFormAsync(Url,
            ("username", newName), ("email", "all@example.com"), ("password", "a-brand-new-passphrase"));

        reply.EnsureStatus(200);
        TestHelpers.AssertAccount(reply.Json, newName, "all@example.com", loggedIn: true);
        await AssertKeyRotated(john.Key, newName, "a-brand-new-passphrase");
    }

    [Fact]
    public async Task Changing_the_account_with_JSON_works()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).SendJsonAsync(HttpMethod.Patch, Url,
            new { email = "json@example.com", password = "a-json-passphrase" });
        reply.EnsureStatus(200);
        TestHelpers.AssertAccount(reply.Json, john.Username, "json@example.com", loggedIn: true);
        await AssertKeyRotated(john.Key, john.Username, "a-json-passphrase");
    }

    [Fact]
    public async Task Changing_the_account_with_multipart_works()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).SendMultipartAsync(HttpMethod.Patch, Url,
            ("email", "multipart@example.com"), ("password", "a-multipart-passphrase"));
        reply.EnsureStatus(200);
        TestHelpers.AssertAccount(reply.Json, john.Username, "multipart@example.com", loggedIn: true);
        await AssertKeyRotated(john.Key, john.Username, "a-multipart-passphrase");
    }

    [Fact]
    public async Task Surrounding_whitespace_is_trimmed_from_username_and_email()
    {
        var john = await api.NewAccountAsync();
        var newName = TestHelpers.NewUsername("trim");
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("username", $" {newName}  "), ("email", "  t@example.com "));
        reply.EnsureStatus(200);
        TestHelpers.AssertAccount(reply.Json, newName, "t@example.com", loggedIn: true);
    }

    // ---- changes nothing --------------------------------------------------------------------------------

    [Fact]
    public async Task An_empty_patch_returns_the_account_and_keeps_the_key()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url);
        reply.EnsureStatus(200);
        TestHelpers.AssertAccount(reply.Json, john.Username, $"{john.Username}@example.com", loggedIn: true);
        await AssertKeyStillWorks(john);
    }

    [Fact]
    public async Task A_patch_without_a_body_keeps_the_key()
    {
        var john = await api.NewAccountAsync();
        (await api.WithKey(john.Key).SendAsync(HttpMethod.Patch, Url, null)).EnsureStatus(200);
        (await api.WithKey(john.Key).SendRawAsync(HttpMethod.Patch, Url, "{}", "application/json")).EnsureStatus(200);
        await AssertKeyStillWorks(john);
    }

    [Fact]
    public async Task Sending_the_current_values_changes_nothing_and_keeps_the_key()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url,
            ("username", john.Username), ("email", $"{john.Username}@example.com"), ("password", john.Password));
        reply.EnsureStatus(200);
        TestHelpers.AssertAccount(reply.Json, john.Username, $"{john.Username}@example.com", loggedIn: true);
        await AssertKeyStillWorks(john);
    }

    [Fact]
    public async Task Sending_only_the_current_password_keeps_the_key()
    {
        var john = await api.NewAccountAsync();
        (await api.WithKey(john.Key).PatchFormAsync(Url, ("password", john.Password))).EnsureStatus(200);
        await AssertKeyStillWorks(john);
    }

    [Fact]
    public async Task Read_only_fields_are_ignored_and_keep_the_key()
    {
        var john = await api.NewAccountAsync();
        var before = await AccountOf(john.Key);

        var reply = await api.WithKey(john.Key).SendJsonAsync(HttpMethod.Patch, Url, new Dictionary<string, object?>
        {
            ["uuid"] = Guid.NewGuid().ToString(), ["balance"] = 1000, ["last_login"] = null,
            ["date_joined"] = "01-01-2000 00:00:00", ["current_server_time"] = "01-01-2000 00:00:00",
        });

        reply.EnsureStatus(200);
        TestHelpers.AssertAccount(reply.Json, john.Username, $"{john.Username}@example.com", loggedIn: true);
        foreach (var field in new[] { "uuid", "date_joined", "last_login" })
            Assert.Equal(before[field]!.GetValue<string>(), reply.Object[field]!.GetValue<string>());
        await AssertKeyStillWorks(john);
    }

    [Fact]
    public async Task The_uuid_sent_by_the_official_client_is_ignored_alongside_a_real_change()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var janeUuid = (await AccountOf(jane.Key))["uuid"]!.GetValue<string>();
        var johnUuid = (await AccountOf(john.Key))["uuid"]!.GetValue<string>();

        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("uuid", janeUuid), ("email", "john2@example.com"));

        reply.EnsureStatus(200);
        Assert.Equal(johnUuid, TestHelpers.AssertAccount(reply.Json, john.Username, "john2@example.com", loggedIn: true).ToString());
        TestHelpers.AssertAccount(await AccountOf(jane.Key), jane.Username, $"{jane.Username}@example.com", loggedIn: true);
    }

    // ---- refused changes ---------------------------------------------------------------------------------

    [Fact]
    public async Task Taking_another_accounts_username_is_refused()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();

        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("username", jane.Username));

        reply.Is(400, new JsonObject { ["username"] = new JsonArray("A user with that username already exists.") });
        await AssertKeyStillWorks(john);
        await AssertKeyStillWorks(jane);
        Assert.Equal(john.Username, (await AccountOf(john.Key))["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_taken_username_is_reported_with_the_other_failing_fields()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();

        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("username", jane.Username), ("email", "not-an-email"));

        reply.IsFieldErrors(("username", ["A user with that username already exists."]), ("email", ["Enter a valid email address."]));
    }

    [Fact]
    public async Task Invalid_values_are_all_reported()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("username", "bad name"), ("email", "not-an-email"));
        reply.IsFieldErrors(
            ("username", ["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."]),
            ("email", ["Enter a valid email address."]));
        await AssertKeyStillWorks(john);
    }

    [Fact]
    public async Task Blank_values_are_refused()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("username", "  "), ("email", ""), ("password", ""));
        reply.IsFieldErrors(("username", ["This field may not be blank."]), ("email", ["This field may not be blank."]),
            ("password", ["This field may not be blank."]));
        await AssertKeyStillWorks(john);
    }

    [Fact]
    public async Task JSON_nulls_are_refused()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).SendRawAsync(HttpMethod.Patch, Url,
            """{"username": null, "email": null, "password": null}""", "application/json");
        reply.IsFieldErrors(("username", ["This field may not be null."]), ("email", ["This field may not be null."]),
            ("password", ["This field may not be null."]));
    }

    [Fact]
    public async Task A_too_long_username_is_refused()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("username", new string('a', 151)));
        reply.IsFieldErrors(("username", ["Ensure this field has no more than 150 characters."]));
    }

    [Theory]
    [InlineData("x7#Q", new[] { "This password is too short. It must contain at least 8 characters." })]
    [InlineData("password", new[] { "This password is too common." })]
    [InlineData("9384710562", new[] { "This password is entirely numeric." })]
    [InlineData("1234", new[] { "This password is too short. It must contain at least 8 characters.",
        "This password is too common.", "This password is entirely numeric." })]
    public async Task A_weak_new_password_is_refused_with_every_reason(string password, string[] messages)
    {
        var john = await api.NewAccountAsync("letters" + new string(Guid.NewGuid().ToString("N")[..10]
            .Select(c => (char)('g' + Convert.ToInt32(c.ToString(), 16))).ToArray()));
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("password", password));
        reply.IsFieldErrors(("password", messages));
        await AssertKeyStillWorks(john);
    }

    [Fact]
    public async Task A_new_password_too_similar_to_the_current_username_is_refused()
    {
        var john = await api.NewAccountAsync("marmaduke" + Guid.NewGuid().ToString("N")[..4]);
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("password", john.Username + "!"));
        reply.IsFieldErrors(("password", ["The password is too similar to the username."]));
    }

    [Fact]
    public async Task A_new_password_too_similar_to_the_new_username_is_refused()
    {
        var john = await api.NewAccountAsync();
        var newName = "fitzgerald" + Guid.NewGuid().ToString("N")[..4];
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("username", newName), ("password", newName + "!"));
        reply.IsFieldErrors(("password", ["The password is too similar to the username."]));
        Assert.Equal(john.Username, (await AccountOf(john.Key))["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_weak_password_is_reported_with_the_other_failing_fields()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("email", "not-an-email"), ("password", "x7#Q"));
        reply.IsFieldErrors(("email", ["Enter a valid email address."]),
            ("password", ["This password is too short. It must contain at least 8 characters."]));
    }

    [Fact]
    public async Task A_password_similar_to_the_current_username_is_reported_with_the_other_failing_fields()
    {
        var john = await api.NewAccountAsync("marmaduke" + Guid.NewGuid().ToString("N")[..4]);
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("email", "not-an-email"), ("password", john.Username + "!"));
        reply.IsFieldErrors(("email", ["Enter a valid email address."]),
            ("password", ["The password is too similar to the username."]));
    }

    [Fact]
    public async Task A_taken_username_is_reported_with_a_weak_new_password()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("username", jane.Username), ("password", "x7#Q"));
        reply.IsFieldErrors(("username", ["A user with that username already exists."]),
            ("password", ["This password is too short. It must contain at least 8 characters."]));
    }

    [Fact]
    public async Task The_current_password_sent_with_a_failing_field_is_not_judged()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("email", "not-an-email"), ("password", john.Password));
        reply.IsFieldErrors(("email", ["Enter a valid email address."]));
    }

    [Fact]
    public async Task Ones_own_username_is_not_reported_as_taken_with_a_failing_field()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url, ("username", john.Username), ("email", "not-an-email"));
        reply.IsFieldErrors(("email", ["Enter a valid email address."]));
    }

    [Fact]
    public async Task A_refused_patch_changes_nothing_at_all()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(Url,
            ("email", "valid@example.com"), ("username", "bad name"), ("password", "another-good-passphrase"));
        reply.EnsureStatus(400);

        var account = await AccountOf(john.Key);
        Assert.Equal($"{john.Username}@example.com", account["email"]!.GetValue<string>());
        Assert.Equal(john.Username, account["username"]!.GetValue<string>());
        await AssertKeyStillWorks(john); // also proves the old password still logs in
    }

    [Fact]
    public async Task Concurrent_renames_to_one_username_let_exactly_one_win()
    {
        var accounts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => api.NewAccountAsync()));
        var wanted = TestHelpers.NewUsername("wanted");

        var replies = await Task.WhenAll(accounts.Select(a => api.WithKey(a.Key).PatchFormAsync(Url, ("username", wanted))));

        Assert.All(replies, r => Assert.True((int)r.Status is 200 or 400, $"Unexpected {(int)r.Status}: {r.Body}"));
        var winner = Assert.Single(replies, r => (int)r.Status == 200);
        Assert.All(replies.Where(r => (int)r.Status == 400),
            r => r.Is(400, new JsonObject { ["username"] = new JsonArray("A user with that username already exists.") }));
        var winnerAccount = accounts[Array.IndexOf(replies, winner)];
        var key = await KeyOf(wanted, winnerAccount.Password);
        Assert.Equal(winner.Object["uuid"]!.GetValue<string>(), (await AccountOf(key))["uuid"]!.GetValue<string>());
        foreach (var loser in accounts.Where(a => a != winnerAccount)) await AssertKeyStillWorks(loser);
    }

    [Fact]
    public async Task Reading_the_account_after_a_change_needs_the_new_key()
    {
        var john = await api.NewAccountAsync();
        (await api.WithKey(john.Key).PatchFormAsync(Url, ("email", "x@example.com"))).EnsureStatus(200);

        (await api.WithKey(john.Key).PatchFormAsync(Url, ("email", "y@example.com"))).IsUnauthorized(InvalidToken);
        (await api.WithKey(john.Key).DeleteAsync(Url)).IsUnauthorized(InvalidToken);
        Assert.Equal("x@example.com", (await AccountOf(await KeyOf(john.Username, john.Password)))["email"]!.GetValue<string>());
    }
}
