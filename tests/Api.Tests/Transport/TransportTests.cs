using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Instances;

namespace Sharedcloud.Es.Api.Tests.Transport;

/// <summary>URLs, encodings and the error bodies that routing and body parsing produce.</summary>
public sealed class TransportTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string TitanV = "caf0daeb-ba23-4499-b4f9-8b4965714366";

    // ---- framing ------------------------------------------------------------------------------------

    [Fact]
    public async Task JSON_written_from_the_read_models_is_sent_whole_with_its_length_not_chunked()
    {
        var john = await api.NewAccountAsync();
        var client = api.WithKey(john.Key);
        var created = (await client.CreateAsync(Body.Json, ("name", "rig"), ("ask_price", 1.5m))).EnsureStatus(201);
        var id = created.Json["uuid"]!.GetValue<string>();

        foreach (var url in new[] { $"/api/v1/instances/{id}/", "/api/v1/instances/" })
        {
            var reply = (await client.GetAsync(url)).EnsureStatus(200);
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(reply.Body), reply.ContentHeaders.ContentLength);
            Assert.NotEqual(true, reply.Headers.TransferEncodingChunked);
            Assert.Contains(id, reply.Body);
        }
    }

    // ---- trailing slash ----------------------------------------------------------------------------

    [Theory]
    [InlineData("/api/v1/users")]
    [InlineData("/api/v1/gpus")]
    [InlineData("/api/v1/gpus/" + TitanV)]
    [InlineData("/api/v1/instances")]
    public async Task A_GET_answers_the_same_with_and_without_the_trailing_slash(string url)
    {
        var john = await api.NewAccountAsync();
        var client = api.WithKey(john.Key);

        var withSlash = await client.GetAsync(url + "/");
        var withoutSlash = await client.GetAsync(url);

        withSlash.EnsureStatus(200);
        withoutSlash.EnsureStatus(200);
        Assert.Null(withoutSlash.Headers.Location);
        Assert.Equal(Without(withSlash.Json, "current_server_time").ToJsonString(),
            Without(withoutSlash.Json, "current_server_time").ToJsonString());
    }

    [Theory]
    [InlineData("/api/v1/users/")]
    [InlineData("/api/v1/users")]
    public async Task Sign_up_works_with_and_without_the_trailing_slash(string url)
    {
        var username = TestHelpers.NewUsername();
        var reply = await api.Client().PostFormAsync(url, ("username", username), ("email", "a@example.com"),
            ("password", "a-long-enough-passphrase"));
        reply.EnsureStatus(201);
        TestHelpers.AssertAccount(reply.Json, username, "a@example.com", loggedIn: false);
    }

    [Theory]
    [InlineData("/api/v1/api-token-auth/")]
    [InlineData("/api/v1/api-token-auth")]
    public async Task Login_works_with_and_without_the_trailing_slash(string url)
    {
        var john = await api.NewAccountAsync();
        var reply = await api.Client().PostFormAsync(url, ("username", john.Username), ("password", john.Password));
        reply.Is(200, new JsonObject { ["token"] = john.Key });
    }

    [Theory]
    [InlineData("/api/v1/users/account/")]
    [InlineData("/api/v1/users/account")]
    public async Task Changing_the_account_works_with_and_without_the_trailing_slash(string url)
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).PatchFormAsync(url, ("email", "new@example.com"));
        reply.EnsureStatus(200);
        TestHelpers.AssertAccount(reply.Json, john.Username, "new@example.com", loggedIn: true);
    }

    [Theory]
    [InlineData("/api/v1/users/account/")]
    [InlineData("/api/v1/users/account")]
    public async Task Deleting_the_account_works_with_and_without_the_trailing_slash(string url)
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).DeleteAsync(url);
        reply.EnsureStatus(204);
        Assert.Equal("", reply.Body);
    }

    [Fact]
    public async Task Instance_routes_work_without_the_trailing_slash()
    {
        var john = await api.NewAccountAsync();
        var client = api.WithKey(john.Key);

        var created = await client.PostFormAsync("/api/v1/instances", ("name", "no slash"), ("ask_price", "0.02"));
        created.EnsureStatus(201);
        var url = $"/api/v1/instances/{created.Object["uuid"]!.GetValue<string>()}";

        (await client.GetAsync(url)).EnsureStatus(200);
        (await client.PatchFormAsync(url, ("name", "patched"))).EnsureStatus(200);
        (await client.SendFormAsync(HttpMethod.Put, url, ("name", "put"), ("ask_price", "0.5"))).EnsureStatus(200);
        Assert.Equal("put", (await client.GetAsync(url + "/")).EnsureStatus(200).Object["name"]!.GetValue<string>());
        (await client.DeleteAsync(url)).EnsureStatus(204);
        (await client.GetAsync(url + "/")).Is(404, """{"detail":"Not found."}""");
    }

    // ---- 404 ----------------------------------------------------------------------------------------

    [Theory]
    [InlineData("GET", "/api/v1/no-such-thing/")]
    [InlineData("GET", "/api/v1/no-such-thing")]
    [InlineData("GET", "/api/v1/users/someone/")]
    [InlineData("GET", "/api/v1/users/account/extra/")]
    [InlineData("PATCH", "/api/v1/users/someone/")]
    [InlineData("GET", "/api/v1/gpus/" + TitanV + "/extra/")]
    [InlineData("GET", "/api/v2/users/")]
    public async Task An_unknown_path_is_404_not_found(string method, string url)
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).SendAsync(new HttpMethod(method), url, null);
        reply.Is(404, """{"detail":"Not found."}""").IsCompactUtf8Json();
    }

    [Theory]
    [InlineData("/api/v1/gpus/00000000-0000-0000-0000-000000000000/")]
    [InlineData("/api/v1/gpus/6baf15c3-5fb1-4312-b793-fc7d19629a7f")]
    [InlineData("/api/v1/instances/6baf15c3-5fb1-4312-b793-fc7d19629a7f/")]
    public async Task An_unknown_id_is_404_not_found(string url)
    {
        var john = await api.NewAccountAsync();
        (await api.WithKey(john.Key).GetAsync(url)).Is(404, """{"detail":"Not found."}""");
    }

    [Theory]
    [InlineData("/api/v1/gpus/not-a-uuid/")]
    [InlineData("/api/v1/gpus/123/")]
    [InlineData("/api/v1/gpus/caf0daeb-ba23-4499-b4f9-8b496571436/")]
    [InlineData("/api/v1/gpus/caf0daeb-ba23-4499-b4f9-8b4965714366x/")]
    [InlineData("/api/v1/instances/not-a-uuid/")]
    [InlineData("/api/v1/instances/not-a-uuid")]
    public async Task A_malformed_uuid_in_the_path_is_404_not_found(string url)
    {
        var john = await api.NewAccountAsync();
        (await api.WithKey(john.Key).GetAsync(url)).Is(404, """{"detail":"Not found."}""");
    }

    // ---- 405 ----------------------------------------------------------------------------------------

    [Theory]
    [InlineData("DELETE", "/api/v1/users/")]
    [InlineData("DELETE", "/api/v1/users")]
    [InlineData("DELETE", "/api/v1/gpus/")]
    [InlineData("POST", "/api/v1/gpus/")]
    [InlineData("PATCH", "/api/v1/gpus/" + TitanV + "/")]
    [InlineData("POST", "/api/v1/users/account/")]
    [InlineData("DELETE", "/api/v1/instances/")]
    public async Task A_method_a_route_does_not_allow_is_405_with_the_method_quoted(string method, string url)
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).SendAsync(new HttpMethod(method), url, null);

        reply.EnsureStatus(405).IsCompactUtf8Json();
        // Byte for byte: the quotes are escaped as \" (not \u0022).
        Assert.Equal($$"""{"detail":"Method \"{{method}}\" not allowed."}""", reply.Body);
    }

    [Fact]
    public async Task GET_on_login_is_405_for_an_authenticated_caller()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).GetAsync("/api/v1/api-token-auth/");
        reply.EnsureStatus(405);
        Assert.Equal("""{"detail":"Method \"GET\" not allowed."}""", reply.Body);
    }

    // ---- 415 ----------------------------------------------------------------------------------------

    [Fact]
    public async Task A_text_plain_sign_up_is_415()
    {
        var username = TestHelpers.NewUsername();
        var reply = await api.Client().SendExactContentTypeAsync(HttpMethod.Post, "/api/v1/users/",
            $"username={username}&email=john@example.com&password=a-long-enough-passphrase", "text/plain");
        reply.EnsureStatus(415).IsCompactUtf8Json();
        Assert.Equal("""{"detail":"Unsupported media type \"text/plain\" in request."}""", reply.Body);

        var login = await api.Client().PostFormAsync("/api/v1/api-token-auth/", ("username", username),
            ("password", "a-long-enough-passphrase"));
        login.EnsureStatus(400); // no account was created
    }

    [Fact]
    public async Task A_text_plain_login_is_415()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.Client().SendExactContentTypeAsync(HttpMethod.Post, "/api/v1/api-token-auth/",
            $"username={john.Username}&password={john.Password}", "text/plain");
        reply.Is(415, new JsonObject { ["detail"] = "Unsupported media type \"text/plain\" in request." });
    }

    [Fact]
    public async Task A_text_plain_account_change_is_415_and_changes_nothing()
    {
        var john = await api.NewAccountAsync();
        var client = api.WithKey(john.Key);
        var reply = await client.SendExactContentTypeAsync(HttpMethod.Patch, "/api/v1/users/account/",
            "email=new@example.com", "text/plain");
        reply.Is(415, new JsonObject { ["detail"] = "Unsupported media type \"text/plain\" in request." });

        var account = (await client.GetAsync("/api/v1/users/")).EnsureStatus(200).Array.Single();
        Assert.Equal($"{john.Username}@example.com", account!["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_text_plain_instance_creation_is_415()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).SendExactContentTypeAsync(HttpMethod.Post, "/api/v1/instances/",
            "name=x&ask_price=1", "text/plain");
        reply.Is(415, new JsonObject { ["detail"] = "Unsupported media type \"text/plain\" in request." });
    }

    // ---- malformed and non-object JSON ------------------------------------------------------------------

    [Theory]
    [InlineData("/api/v1/users/", "POST", """{"username": """)]
    [InlineData("/api/v1/users/", "POST", """{username: "john"}""")]
    [InlineData("/api/v1/users/", "POST", """{"username": "john",}""")]
    [InlineData("/api/v1/users/", "POST", "not json")]
    [InlineData("/api/v1/api-token-auth/", "POST", """{"username": "john" "password": "x"}""")]
    [InlineData("/api/v1/users/account/", "PATCH", """{"email": 'a@example.com'}""")]
    [InlineData("/api/v1/instances/", "POST", """{"name": "x", "ask_price": }""")]
    public async Task Malformed_JSON_is_400_with_a_parse_error_detail(string url, string method, string body)
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).SendRawAsync(new HttpMethod(method), url, body, "application/json");

        reply.EnsureStatus(400).IsCompactUtf8Json();
        Assert.Equal(["detail"], reply.Object.Keys());
        var detail = reply.Object["detail"]!.GetValue<string>();
        Assert.StartsWith("JSON parse error - ", detail);
        Assert.True(detail.Length > "JSON parse error - ".Length, "The parse error gives a reason");
    }

    [Theory]
    [InlineData("""[{"username": "john"}]""", "list")]
    [InlineData("[]", "list")]
    [InlineData("\"john\"", "str")]
    [InlineData("42", "int")]
    [InlineData("true", "bool")]
    public async Task A_JSON_body_that_is_not_an_object_is_400_non_field_errors(string body, string typeName)
    {
        var reply = await api.Client().SendRawAsync(HttpMethod.Post, "/api/v1/users/", body, "application/json");
        reply.IsFieldErrors(("non_field_errors", [$"Invalid data. Expected a dictionary, but got {typeName}."]));
    }

    [Fact]
    public async Task A_JSON_array_is_refused_for_login_and_account_change_too()
    {
        var john = await api.NewAccountAsync();
        const string expected = """{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}""";

        (await api.Client().SendRawAsync(HttpMethod.Post, "/api/v1/api-token-auth/",
            $$"""[{"username":"{{john.Username}}","password":"{{john.Password}}"}]""", "application/json")).Is(400, expected);
        (await api.WithKey(john.Key).SendRawAsync(HttpMethod.Patch, "/api/v1/users/account/",
            """[{"email":"new@example.com"}]""", "application/json")).Is(400, expected);
    }

    [Fact]
    public async Task A_JSON_content_type_with_a_charset_is_accepted()
    {
        var username = TestHelpers.NewUsername();
        var reply = await api.Client().SendExactContentTypeAsync(HttpMethod.Post, "/api/v1/users/",
            new JsonObject { ["username"] = username, ["email"] = "a@example.com", ["password"] = "a-long-enough-passphrase" }
                .ToJsonString(), "application/json; charset=utf-8");
        reply.EnsureStatus(201);
    }

    // ---- response encoding ----------------------------------------------------------------------------------

    [Fact]
    public async Task Responses_are_compact_utf8_json()
    {
        var john = await api.NewAccountAsync();
        var client = api.WithKey(john.Key);
        (await client.GetAsync("/api/v1/users/")).EnsureStatus(200).IsCompactUtf8Json();
        (await client.GetAsync("/api/v1/gpus/")).EnsureStatus(200).IsCompactUtf8Json();
        (await client.GetAsync($"/api/v1/gpus/{TitanV}/")).EnsureStatus(200).IsCompactUtf8Json();
        (await client.PatchFormAsync("/api/v1/users/account/", ("email", "x@example.com"))).EnsureStatus(200).IsCompactUtf8Json();
        (await api.Client().SignUpAsync(TestHelpers.NewUsername(), "a@example.com", "a-long-enough-passphrase"))
            .EnsureStatus(201).IsCompactUtf8Json();
        (await api.Client().SignUpAsync("", "", "")).EnsureStatus(400).IsCompactUtf8Json();
        (await api.Client().PostFormAsync("/api/v1/api-token-auth/", ("username", john.Username), ("password", john.Password)))
            .EnsureStatus(200).IsCompactUtf8Json();
    }

    [Fact]
    public async Task Non_ASCII_text_is_written_as_UTF8_not_escaped()
    {
        var username = "jöhn_ßäü_" + Guid.NewGuid().ToString("N")[..6];
        // Django takes non-ASCII letters in the domain, not in the local part.
        var reply = await api.Client().SignUpAsync(username, "john@exämple.com", "a-long-enough-passphrase");

        reply.EnsureStatus(201).IsCompactUtf8Json();
        TestHelpers.AssertAccount(reply.Json, username, "john@exämple.com", loggedIn: false);
        Assert.Contains($"\"username\":\"{username}\"", reply.Body);
        Assert.Contains("\"email\":\"john@exämple.com\"", reply.Body);
    }

    private static JsonNode Without(JsonNode node, string field)
    {
        var copy = node.DeepClone();
        switch (copy)
        {
            case JsonObject o:
                o.Remove(field);
                break;
            case JsonArray a:
                foreach (var item in a.OfType<JsonObject>()) item.Remove(field);
                break;
        }
        return copy;
    }
}
