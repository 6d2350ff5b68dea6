using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;
using static Sharedcloud.Es.Api.Tests.Idempotency.IdempotencyKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Abuse;

/// <summary>One structured line per request; keys and passwords in no log line at any level, and in no response but login's.</summary>
public sealed class LoggingTests(LogCaptureApiFactory api) : IClassFixture<LogCaptureApiFactory>
{
    private const string RequestCategory = "Sharedcloud.Es.Api.Requests";

    [Fact]
    public async Task Each_request_is_one_line_with_method_route_status_duration_correlation_and_account()
    {
        var john = await api.NewAccountAsync();
        var johnId = await john.AccountIdAsync();
        var instance = Uuid(await john.CreateInstanceAsync());

        await Send(john, HttpMethod.Get, Url(instance) + "?token=not-for-the-log", "log-get");
        await Send(api.Anonymous(), HttpMethod.Get, Url(instance), "log-anonymous");
        await Send(john, HttpMethod.Get, "/api/v1/nowhere/", "log-nowhere");

        var get = RequestLine("log-get");
        Assert.Equal(LogLevel.Information, get.Level);
        Assert.Equal("GET", get.Fields["Method"]);
        Assert.Equal("/api/v1/instances/{id:guid}", get.Fields["Route"]);
        Assert.Equal($"/api/v1/instances/{instance}", get.Fields["Path"]);
        Assert.Equal(200, get.Fields["StatusCode"]);
        Assert.True((double)get.Fields["DurationMs"]! > 0);
        Assert.Equal(johnId, get.Fields["AccountId"]);
        Assert.DoesNotContain("not-for-the-log", get.AllText);

        var anonymous = RequestLine("log-anonymous");
        Assert.Equal(401, anonymous.Fields["StatusCode"]);
        Assert.Null(anonymous.Fields["Route"]); // refused before routing
        Assert.Null(anonymous.Fields["AccountId"]);

        var nowhere = RequestLine("log-nowhere");
        Assert.Equal(404, nowhere.Fields["StatusCode"]);
        Assert.Equal("/api/v1/nowhere", nowhere.Fields["Path"]);
        Assert.Equal(johnId, nowhere.Fields["AccountId"]);
    }

    [Fact]
    public async Task Passwords_and_keys_appear_in_no_log_entry_and_no_response_but_the_login()
    {
        var anonymous = api.Anonymous();
        var username = TestHelpers.NewUsername();
        const string password = "first-secret-passphrase-71";
        const string newPassword = "second-secret-passphrase-82";
        const string wrongPassword = "wrong-secret-passphrase-93";
        const string weakPassword = "98765432109";
        const string unknownKey = "0123456789abcdef0123456789abcdef01234567";
        var responses = new List<Reply>();

        var signUp = await anonymous.SendRawAsync(HttpMethod.Post, "/api/v1/users/",
            $$"""{"username":"{{username}}","email":"{{username}}@example.com","password":"{{password}}"}""", "application/json");
        responses.Add(signUp.EnsureStatus(201));
        responses.Add((await anonymous.SignUpAsync(TestHelpers.NewUsername(), "not-an-email", weakPassword)).EnsureStatus(400));
        responses.Add((await anonymous.PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", wrongPassword)))
            .EnsureStatus(400));
        var firstKey = await anonymous.LogInAsync(username, password);
        var john = api.WithKey(firstKey);
        responses.Add((await john.GetAsync("/api/v1/users/")).EnsureStatus(200));
        responses.Add((await john.PostFormAsync(InstancesUrl, ("name", "box"), ("ask_price", "0.5"))).EnsureStatus(201));
        responses.Add((await john.PatchFormAsync("/api/v1/users/account/", ("password", newPassword))).EnsureStatus(200));
        responses.Add((await john.GetAsync(InstancesUrl)).EnsureStatus(401)); // the change rotated the key
        var secondKey = await anonymous.LogInAsync(username, newPassword);
        responses.Add((await api.WithKey(unknownKey).GetAsync(InstancesUrl)).EnsureStatus(401));
        responses.Add((await api.WithKey(secondKey).SendRawAsync(HttpMethod.Patch, "/api/v1/users/account/",
            $$"""{"password":"{{weakPassword}}"}""", "application/json")).EnsureStatus(400));
        responses.Add((await api.WithKey(secondKey).DeleteAsync("/api/v1/users/account/")).EnsureStatus(204));

        string[] secrets = [password, newPassword, wrongPassword, weakPassword, unknownKey, firstKey, secondKey];
        var entries = api.Logs.Entries.ToList();
        Assert.Contains(entries, e => e.Level == LogLevel.Trace); // every level was captured
        Assert.Contains(entries, e => e.Category == RequestCategory);
        foreach (var entry in entries)
        foreach (var secret in secrets)
            Assert.False(entry.AllText.Contains(secret, StringComparison.OrdinalIgnoreCase),
                $"A secret was logged by {entry.Category} ({entry.Level}): {entry.AllText}");
        foreach (var response in responses)
        foreach (var secret in secrets)
            Assert.DoesNotContain(secret, response.Body);
    }

    [Fact]
    public async Task A_delete_and_its_replay_under_an_Idempotency_Key_log_no_error()
    {
        var john = await api.NewAccountAsync();
        var url = Url(await john.CreateInstanceAsync());
        var key = NewKey();

        foreach (var _ in new[] { "first", "replay" })
            (await john.SendAsync(HttpMethod.Delete, url, null, r => r.Headers.Add("Idempotency-Key", key))).EnsureStatus(204);

        Assert.DoesNotContain(api.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    private static Task Send(ApiClient client, HttpMethod method, string url, string correlationId) =>
        client.SendAsync(method, url, null, r => r.Headers.Add("X-Correlation-ID", correlationId));

    private LogEntry RequestLine(string correlationId) =>
        Assert.Single(api.Logs.Entries, e => e.Category == RequestCategory && Equals(e.Fields.GetValueOrDefault("CorrelationId"), correlationId));
}

/// <summary>The request line is Information in its own category: a level above turns it off.</summary>
public sealed class QuietRequestLogApiFactory : ApiFactory
{
    public LogCapture Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Logging:LogLevel:Default", "Information");
        builder.UseSetting("Logging:LogLevel:Sharedcloud.Es.Api.Requests", "Warning");
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }
}

public sealed class QuietRequestLogTests(QuietRequestLogApiFactory api) : IClassFixture<QuietRequestLogApiFactory>
{
    [Fact]
    public async Task With_its_level_above_Information_no_request_is_logged()
    {
        var john = await api.NewAccountAsync();
        (await john.GetAsync(InstancesUrl)).EnsureStatus(200);

        Assert.Contains(api.Logs.Entries, e => e.Level == LogLevel.Information); // others still log
        Assert.DoesNotContain(api.Logs.Entries, e => e.Category == "Sharedcloud.Es.Api.Requests");
    }
}
