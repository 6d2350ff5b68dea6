using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;

namespace Sharedcloud.Es.Api.Tests.Accounts;

/// <summary>POST /api/v1/users/: the account object, and every rule on username, email and password.</summary>
public sealed class SignUpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string GoodPassword = "a-long-enough-passphrase";
    private const string Required = "This field is required.";
    private const string Blank = "This field may not be blank.";
    private const string Null = "This field may not be null.";
    private const string InvalidUsername =
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
    private const string UsernameTooLong = "Ensure this field has no more than 150 characters.";
    private const string UsernameTaken = "A user with that username already exists.";
    private const string InvalidEmail = "Enter a valid email address.";
    private const string TooShort = "This password is too short. It must contain at least 8 characters.";
    private const string TooCommon = "This password is too common.";
    private const string Numeric = "This password is entirely numeric.";
    private const string SimilarToUsername = "The password is too similar to the username.";
    private const string SimilarToEmail = "The password is too similar to the email address.";

    private ApiClient Anonymous => api.Client();

    [Fact]
    public async Task Signing_up_returns_201_with_the_new_account()
    {
        var username = TestHelpers.NewUsername();
        var reply = await Anonymous.SignUpAsync(username, "john@example.com", GoodPassword);

        reply.EnsureStatus(201).IsCompactUtf8Json();
        TestHelpers.AssertAccount(reply.Json, username, "john@example.com", loggedIn: false);
        Assert.Contains("\"balance\":0", reply.Body);
        Assert.Contains("\"last_login\":null", reply.Body);
    }

    [Fact]
    public async Task Each_sign_up_gets_its_own_uuid()
    {
        var first = await Anonymous.SignUpAsync(TestHelpers.NewUsername(), "a@example.com", GoodPassword);
        var second = await Anonymous.SignUpAsync(TestHelpers.NewUsername(), "a@example.com", GoodPassword);
        Assert.NotEqual(first.EnsureStatus(201).Object["uuid"]!.GetValue<string>(),
            second.EnsureStatus(201).Object["uuid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Signing_up_with_a_JSON_body_works()
    {
        var username = TestHelpers.NewUsername();
        var reply = await Anonymous.SendJsonAsync(HttpMethod.Post, "/api/v1/users/",
            new { username, email = "john@example.com", password = GoodPassword });
        reply.EnsureStatus(201);
        TestHelpers.AssertAccount(reply.Json, username, "john@example.com", loggedIn: false);
        await Anonymous.LogInAsync(username, GoodPassword);
    }

    [Fact]
    public async Task Signing_up_with_a_multipart_body_works()
    {
        var username = TestHelpers.NewUsername();
        var reply = await Anonymous.SendMultipartAsync(HttpMethod.Post, "/api/v1/users/",
            ("username", username), ("email", "john@example.com"), ("password", GoodPassword));
        reply.EnsureStatus(201);
        TestHelpers.AssertAccount(reply.Json, username, "john@example.com", loggedIn: false);
        await Anonymous.LogInAsync(username, GoodPassword);
    }

    [Fact]
    public async Task Read_only_fields_sent_at_sign_up_are_ignored()
    {
        var username = TestHelpers.NewUsername();
        var chosenUuid = Guid.NewGuid().ToString();
        var reply = await Anonymous.SendJsonAsync(HttpMethod.Post, "/api/v1/users/", new Dictionary<string, object?>
        {
            ["uuid"] = chosenUuid, ["username"] = username, ["email"] = "john@example.com", ["password"] = GoodPassword,
            ["balance"] = 1000, ["last_login"] = "01-01-2000 00:00:00", ["date_joined"] = "01-01-2000 00:00:00",
            ["current_server_time"] = "01-01-2000 00:00:00", ["is_staff"] = true,
        });

        reply.EnsureStatus(201);
        var uuid = TestHelpers.AssertAccount(reply.Json, username, "john@example.com", loggedIn: false);
        Assert.NotEqual(chosenUuid, uuid.ToString());
        Assert.NotEqual("01-01-2000 00:00:00", reply.Object["date_joined"]!.GetValue<string>());
    }

    [Fact]
    public async Task Read_only_fields_sent_in_a_form_are_ignored_too()
    {
        var username = TestHelpers.NewUsername();
        var reply = await Anonymous.PostFormAsync("/api/v1/users/", ("uuid", Guid.NewGuid().ToString()),
            ("username", username), ("email", "john@example.com"), ("password", GoodPassword), ("balance", "50"));
        reply.EnsureStatus(201);
        TestHelpers.AssertAccount(reply.Json, username, "john@example.com", loggedIn: false);
    }

    // ---- required, blank, null ---------------------------------------------------------------------

    [Fact]
    public async Task An_empty_form_lists_all_three_fields_as_required()
    {
        var reply = await Anonymous.PostFormAsync("/api/v1/users/");
        reply.IsFieldErrors(("username", [Required]), ("email", [Required]), ("password", [Required]));
    }

    [Fact]
    public async Task An_empty_JSON_object_lists_all_three_fields_as_required()
    {
        var reply = await Anonymous.SendRawAsync(HttpMethod.Post, "/api/v1/users/", "{}", "application/json");
        reply.IsFieldErrors(("username", [Required]), ("email", [Required]), ("password", [Required]));
    }

    [Fact]
    public async Task A_request_without_a_body_lists_all_three_fields_as_required()
    {
        var reply = await Anonymous.SendAsync(HttpMethod.Post, "/api/v1/users/", null);
        reply.IsFieldErrors(("username", [Required]), ("email", [Required]), ("password", [Required]));
    }

    [Fact]
    public async Task One_missing_field_is_the_only_one_reported()
    {
        var reply = await Anonymous.PostFormAsync("/api/v1/users/", ("username", TestHelpers.NewUsername()),
            ("password", GoodPassword));
        reply.IsFieldErrors(("email", [Required]));
    }

    [Fact]
    public async Task Blank_fields_are_all_reported()
    {
        var reply = await Anonymous.SignUpAsync("", "", "");
        reply.IsFieldErrors(("username", [Blank]), ("email", [Blank]), ("password", [Blank]));
    }

    [Fact]
    public async Task Whitespace_only_username_and_email_are_blank()
    {
        var reply = await Anonymous.SignUpAsync("   ", " \t ", GoodPassword);
        reply.IsFieldErrors(("username", [Blank]), ("email", [Blank]));
    }

    [Fact]
    public async Task JSON_nulls_are_all_reported()
    {
        var reply = await Anonymous.SendRawAsync(HttpMethod.Post, "/api/v1/users/",
            """{"username": null, "email": null, "password": null}""", "application/json");
        reply.IsFieldErrors(("username", [Null]), ("email", [Null]), ("password", [Null]));
    }

    [Fact]
    public async Task JSON_values_that_are_not_text_are_reported()
    {
        var reply = await Anonymous.SendRawAsync(HttpMethod.Post, "/api/v1/users/",
            """{"username": true, "email": ["a@example.com"], "password": {"p": 1}}""", "application/json");
        reply.IsFieldErrors(("username", ["Not a valid string."]), ("email", ["Not a valid string."]),
            ("password", ["Not a valid string."]));
    }

    // ---- username ------------------------------------------------------------------------------------

    [Theory]
    [InlineData("john smith")]
    [InlineData("john!")]
    [InlineData("john#1")]
    [InlineData("jo/hn")]
    [InlineData("john,doe")]
    [InlineData("<john>")]
    [InlineData("john's")]
    [InlineData("j\u00f6hn?")]
    public async Task A_username_with_other_characters_is_invalid(string username)
    {
        var reply = await Anonymous.SignUpAsync(username, "john@example.com", GoodPassword);
        reply.IsFieldErrors(("username", [InvalidUsername]));
    }

    [Theory]
    [InlineData("a.b@c+d-e_f")]
    [InlineData("1234567890")]
    [InlineData("_")]
    [InlineData("J\u00f6rg.M\u00fcller")]
    [InlineData("\u7528\u6237")]
    public async Task A_username_of_letters_digits_and_at_dot_plus_minus_underscore_is_accepted(string prefix)
    {
        var username = prefix + Guid.NewGuid().ToString("N")[..8];
        var reply = await Anonymous.SignUpAsync(username, "john@example.com", GoodPassword);
        reply.EnsureStatus(201);
        TestHelpers.AssertAccount(reply.Json, username, "john@example.com", loggedIn: false);
    }

    [Fact]
    public async Task A_username_of_150_characters_is_accepted()
    {
        var username = TestHelpers.NewUsername().PadRight(150, 'x');
        var reply = await Anonymous.SignUpAsync(username, "john@example.com", GoodPassword);
        reply.EnsureStatus(201);
        Assert.Equal(username, reply.Object["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_username_of_151_characters_is_too_long()
    {
        var reply = await Anonymous.SignUpAsync(new string('a', 151), "john@example.com", GoodPassword);
        reply.IsFieldErrors(("username", [UsernameTooLong]));
    }

    [Fact]
    public async Task A_long_username_with_other_characters_gets_both_messages()
    {
        var reply = await Anonymous.SignUpAsync(new string('a', 150) + "!", "john@example.com", GoodPassword);
        reply.IsFieldErrors(("username", [InvalidUsername, UsernameTooLong]));
    }

    [Fact]
    public async Task Surrounding_whitespace_of_the_username_is_trimmed()
    {
        var username = TestHelpers.NewUsername();
        var reply = await Anonymous.SignUpAsync($"  {username} ", " john@example.com ", GoodPassword);
        reply.EnsureStatus(201);
        TestHelpers.AssertAccount(reply.Json, username, "john@example.com", loggedIn: false);
        await Anonymous.LogInAsync(username, GoodPassword);
    }

    [Fact]
    public async Task Signing_up_twice_with_one_username_is_refused()
    {
        var username = TestHelpers.NewUsername();
        (await Anonymous.SignUpAsync(username, "first@example.com", GoodPassword)).EnsureStatus(201);

        var second = await Anonymous.SignUpAsync(username, "second@example.com", "another-long-passphrase");

        second.Is(400, new JsonObject { ["username"] = new JsonArray(UsernameTaken) });
        // The first account is untouched: its password still logs in, the second one does not.
        await Anonymous.LogInAsync(username, GoodPassword);
        (await Anonymous.PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", "another-long-passphrase")))
            .EnsureStatus(400);
        var key = await Anonymous.LogInAsync(username, GoodPassword);
        var account = (await api.WithKey(key).GetAsync("/api/v1/users/")).EnsureStatus(200).Array.Single();
        Assert.Equal("first@example.com", account!["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_taken_username_is_reported_with_the_other_failing_fields()
    {
        var username = TestHelpers.NewUsername();
        (await Anonymous.SignUpAsync(username, "first@example.com", GoodPassword)).EnsureStatus(201);

        var reply = await Anonymous.SignUpAsync(username, "not-an-email", "x7#Q");

        reply.IsFieldErrors(("username", [UsernameTaken]), ("email", [InvalidEmail]), ("password", [TooShort]));
    }

    [Fact]
    public async Task Concurrent_sign_ups_with_one_username_create_exactly_one_account()
    {
        var username = TestHelpers.NewUsername();
        var passwords = Enumerable.Range(0, 10).Select(i => $"parallel-passphrase-{i}").ToArray();

        var replies = await Task.WhenAll(passwords.Select((password, i) =>
            api.Client().SignUpAsync(username, $"racer{i}@example.com", password)));

        Assert.All(replies, r => Assert.True((int)r.Status is 201 or 400, $"Unexpected {(int)r.Status}: {r.Body}"));
        var winner = Assert.Single(replies, r => (int)r.Status == 201);
        Assert.All(replies.Where(r => (int)r.Status != 201),
            r => r.Is(400, new JsonObject { ["username"] = new JsonArray(UsernameTaken) }));

        // Exactly the winner's password logs in.
        var winnerIndex = Array.IndexOf(replies, winner);
        var logins = await Task.WhenAll(passwords.Select(password =>
            Anonymous.PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", password))));
        Assert.Equal(200, (int)logins[winnerIndex].Status);
        Assert.Single(logins, l => (int)l.Status == 200);
        var key = logins[winnerIndex].Object["token"]!.GetValue<string>();
        var account = (await api.WithKey(key).GetAsync("/api/v1/users/")).EnsureStatus(200).Array.Single();
        Assert.Equal(winner.Object["uuid"]!.GetValue<string>(), account!["uuid"]!.GetValue<string>());
        Assert.Equal($"racer{winnerIndex}@example.com", account["email"]!.GetValue<string>());
    }

    // ---- email -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("not-an-email")]
    [InlineData("john@")]
    [InlineData("@example.com")]
    [InlineData("john@example")]
    [InlineData("john@@example.com")]
    [InlineData("john smith@example.com")]
    [InlineData("john@example..com")]
    [InlineData("john@-example.com")]
    public async Task An_invalid_email_is_refused(string email)
    {
        var reply = await Anonymous.SignUpAsync(TestHelpers.NewUsername(), email, GoodPassword);
        reply.IsFieldErrors(("email", [InvalidEmail]));
    }

    [Theory]
    [InlineData("john@example.com")]
    [InlineData("john.smith+tag@sub.example.co.uk")]
    [InlineData("john@localhost")]
    [InlineData("john@[127.0.0.1]")]
    public async Task A_valid_email_is_accepted(string email)
    {
        var username = TestHelpers.NewUsername();
        var reply = await Anonymous.SignUpAsync(username, email, GoodPassword);
        reply.EnsureStatus(201);
        TestHelpers.AssertAccount(reply.Json, username, email, loggedIn: false);
    }

    // ---- password ------------------------------------------------------------------------------------

    [Theory]
    [InlineData("x7#Q", new[] { TooShort })]
    [InlineData("password", new[] { TooCommon })]
    [InlineData("sunshine", new[] { TooCommon })]
    [InlineData("PassWord", new[] { TooCommon })]
    [InlineData("9384710562", new[] { Numeric })]
    [InlineData("12345678", new[] { TooCommon, Numeric })]
    [InlineData("83746", new[] { TooShort, Numeric })]
    [InlineData("1234", new[] { TooShort, TooCommon, Numeric })]
    public async Task A_weak_password_is_refused_with_every_reason(string password, string[] messages)
    {
        // A username of letters only, so that no password here is similar to it.
        var reply = await Anonymous.SignUpAsync(LettersOnlyUsername(), "zz@example.com", password);
        reply.IsFieldErrors(("password", messages));
    }

    [Theory]
    [InlineData("marmaduke1")]
    [InlineData("Marmaduke")]
    [InlineData("ekudamram")]
    public async Task A_password_too_similar_to_the_username_is_refused(string password)
    {
        var reply = await Anonymous.SignUpAsync("marmaduke", "zz@example.com", password);
        reply.IsFieldErrors(("password", [SimilarToUsername]));
    }

    [Fact]
    public async Task A_password_too_similar_to_the_email_is_refused()
    {
        var reply = await Anonymous.SignUpAsync("zed", "fitzgerald@example.com", "fitzgerald!");
        reply.IsFieldErrors(("password", [SimilarToEmail]));
    }

    [Fact]
    public async Task Every_password_rule_is_reported_at_once()
    {
        var reply = await Anonymous.SignUpAsync("1234", "zz@example.com", "1234");
        reply.IsFieldErrors(("password", [SimilarToUsername, TooShort, TooCommon, Numeric]));
    }

    [Fact]
    public async Task Every_failing_field_is_reported_at_once()
    {
        var reply = await Anonymous.SignUpAsync("bad name", "not-an-email", "x7#Q");
        reply.IsFieldErrors(("username", [InvalidUsername]), ("email", [InvalidEmail]), ("password", [TooShort]));
    }

    [Fact]
    public async Task A_refused_sign_up_creates_no_account()
    {
        var username = TestHelpers.NewUsername();
        (await Anonymous.SignUpAsync(username, "not-an-email", GoodPassword)).EnsureStatus(400);

        (await Anonymous.PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", GoodPassword)))
            .EnsureStatus(400);
        (await Anonymous.SignUpAsync(username, "john@example.com", GoodPassword)).EnsureStatus(201);
    }

    private static string LettersOnlyUsername() =>
        "user" + new string(Guid.NewGuid().ToString("N")[..12].Select(c => (char)('g' + Convert.ToInt32(c.ToString(), 16))).ToArray());
}
