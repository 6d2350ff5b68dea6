using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Transport;

/// <summary>Django REST Framework's token scheme, with its messages and the WWW-Authenticate challenge.</summary>
public sealed class AuthenticationTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string NotProvided = "Authentication credentials were not provided.";
    private const string InvalidToken = "Invalid token.";
    private const string NoCredentials = "Invalid token header. No credentials provided.";
    private const string ContainsSpaces = "Invalid token header. Token string should not contain spaces.";

    public static TheoryData<string, string> ProtectedCalls => new()
    {
        { "GET", "/api/v1/users/" },
        { "PATCH", "/api/v1/users/account/" },
        { "DELETE", "/api/v1/users/account/" },
        { "GET", "/api/v1/gpus/" },
        { "GET", "/api/v1/gpus/caf0daeb-ba23-4499-b4f9-8b4965714366/" },
        { "GET", "/api/v1/instances/" },
        { "POST", "/api/v1/instances/" },
    };

    [Theory]
    [MemberData(nameof(ProtectedCalls))]
    public async Task A_call_without_an_authorization_header_is_refused_as_not_provided(string method, string url)
    {
        var reply = await api.Client().SendAsync(new HttpMethod(method), url, null);
        reply.IsUnauthorized(NotProvided);
    }

    [Theory]
    [InlineData("Bearer 0123456789abcdef0123456789abcdef01234567")]
    [InlineData("Basic dXNlcjpwYXNzd29yZA==")]
    [InlineData("0123456789abcdef0123456789abcdef01234567")]
    [InlineData("Tokens 0123456789abcdef0123456789abcdef01234567")]
    [InlineData("")]
    public async Task Another_scheme_counts_as_no_credentials(string header)
    {
        var john = await api.NewAccountAsync();
        var reply = await api.Client(header.Replace("0123456789abcdef0123456789abcdef01234567", john.Key))
            .GetAsync("/api/v1/users/");
        reply.IsUnauthorized(NotProvided);
    }

    [Theory]
    [InlineData("Token")]
    [InlineData("token")]
    [InlineData("Token   ")]
    public async Task The_token_keyword_alone_is_refused_as_no_credentials(string header)
    {
        var reply = await api.Client(header).GetAsync("/api/v1/users/");
        reply.IsUnauthorized(NoCredentials);
    }

    [Fact]
    public async Task A_key_containing_spaces_is_refused()
    {
        var john = await api.NewAccountAsync();

        (await api.Client($"Token {john.Key[..20]} {john.Key[20..]}").GetAsync("/api/v1/users/"))
            .IsUnauthorized(ContainsSpaces);
        (await api.Client($"Token {john.Key} extra").GetAsync("/api/v1/users/"))
            .IsUnauthorized(ContainsSpaces);
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000")]
    [InlineData("ffffffffffffffffffffffffffffffffffffffff")]
    [InlineData("abc")]
    [InlineData("not-a-key-at-all")]
    [InlineData("0000000000000000000000000000000000000000ff")]
    public async Task An_unknown_key_is_refused_as_invalid(string key)
    {
        await api.NewAccountAsync(); // at least one real key exists
        var reply = await api.WithKey(key).GetAsync("/api/v1/users/");
        reply.IsUnauthorized(InvalidToken);
    }

    [Fact]
    public async Task Keys_are_exact_an_uppercased_or_truncated_key_is_invalid()
    {
        var john = await api.NewAccountAsync();

        (await api.WithKey(john.Key.ToUpperInvariant()).GetAsync("/api/v1/users/")).IsUnauthorized(InvalidToken);
        (await api.WithKey(john.Key[..39]).GetAsync("/api/v1/users/")).IsUnauthorized(InvalidToken);
        (await api.WithKey(john.Key + "0").GetAsync("/api/v1/users/")).IsUnauthorized(InvalidToken);
    }

    [Theory]
    [InlineData("Token")]
    [InlineData("token")]
    [InlineData("TOKEN")]
    [InlineData("ToKeN")]
    public async Task The_token_keyword_is_case_insensitive(string keyword)
    {
        var john = await api.NewAccountAsync();
        var reply = await api.Client($"{keyword} {john.Key}").GetAsync("/api/v1/users/");
        reply.EnsureStatus(200);
        Assert.Equal(john.Username, reply.Array.Single()!["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task Extra_whitespace_between_keyword_and_key_is_tolerated()
    {
        var john = await api.NewAccountAsync();
        (await api.Client($"Token   {john.Key}").GetAsync("/api/v1/users/")).EnsureStatus(200);
    }

    [Fact]
    public async Task Keys_are_forty_lowercase_hex_characters()
    {
        var john = await api.NewAccountAsync();
        Assert.Matches("^[0-9a-f]{40}$", john.Key);
    }

    // ---- authentication is decided before anything else ----------------------------------------------

    public static TheoryData<string, string> UnroutableCalls => new()
    {
        { "GET", "/api/v1/no-such-thing/" },
        { "GET", "/api/v1/no-such-thing" },
        { "POST", "/api/v1/users/account/extra/" },
        { "GET", "/api/v1/gpus/not-a-uuid/" },
        { "GET", "/api/v1/gpus/00000000-0000-0000-0000-000000000000/" },
        { "GET", "/api/v1/instances/not-a-uuid/" },
        { "DELETE", "/api/v1/gpus/" },
        { "POST", "/api/v1/gpus/" },
        { "DELETE", "/api/v1/users/" },
        { "PUT", "/api/v1/users/" },
        { "POST", "/api/v1/users/account/" },
    };

    [Theory]
    [MemberData(nameof(UnroutableCalls))]
    public async Task Without_credentials_a_404_or_405_call_is_401_first(string method, string url)
    {
        var reply = await api.Client().SendAsync(new HttpMethod(method), url, null);
        reply.IsUnauthorized(NotProvided);
    }

    [Theory]
    [MemberData(nameof(UnroutableCalls))]
    public async Task With_an_unknown_key_a_404_or_405_call_is_401_first(string method, string url)
    {
        var reply = await api.WithKey("0123456789abcdef0123456789abcdef01234567").SendAsync(new HttpMethod(method), url, null);
        reply.IsUnauthorized(InvalidToken);
    }

    [Theory]
    [MemberData(nameof(UnroutableCalls))]
    public async Task With_a_malformed_header_a_404_or_405_call_is_401_first(string method, string url)
    {
        (await api.Client("Token").SendAsync(new HttpMethod(method), url, null)).IsUnauthorized(NoCredentials);
        (await api.Client("Token a b").SendAsync(new HttpMethod(method), url, null)).IsUnauthorized(ContainsSpaces);
    }

    [Fact]
    public async Task Sign_up_and_login_need_no_key()
    {
        var client = api.Client();
        var username = TestHelpers.NewUsername();
        (await client.SignUpAsync(username, $"{username}@example.com", "a-long-enough-passphrase")).EnsureStatus(201);
        (await client.PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", "a-long-enough-passphrase")))
            .EnsureStatus(200);
    }

    [Fact]
    public async Task Sign_up_and_login_with_a_bad_key_are_401_and_with_another_scheme_go_through()
    {
        var username = TestHelpers.NewUsername();
        const string password = "a-long-enough-passphrase";
        var bad = api.WithKey("0123456789abcdef0123456789abcdef01234567");
        (await bad.SignUpAsync(username, $"{username}@example.com", password)).IsUnauthorized(InvalidToken);
        (await api.Client("Token").SignUpAsync(username, $"{username}@example.com", password))
            .IsUnauthorized("Invalid token header. No credentials provided.");

        var basic = api.Client("Basic dXNlcjpwYXNz"); // not DRF's token scheme: no credentials, as none sent
        (await basic.SignUpAsync(username, $"{username}@example.com", password)).EnsureStatus(201);
        (await bad.PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", password))).IsUnauthorized(InvalidToken);
        var key = (await basic.PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", password)))
            .EnsureStatus(200).Object["token"]!.GetValue<string>();
        (await api.WithKey(key).PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", password))).EnsureStatus(200);
    }

    [Fact]
    public async Task A_401_body_is_compact_utf8_json()
    {
        (await api.Client().GetAsync("/api/v1/users/")).IsCompactUtf8Json();
        (await api.WithKey("0123456789abcdef0123456789abcdef01234567").GetAsync("/api/v1/users/")).IsCompactUtf8Json();
    }
}
