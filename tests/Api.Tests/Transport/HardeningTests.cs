using System.Text;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Transport;

/// <summary>Headers and limits every response and request gets, whatever the route.</summary>
public sealed class HardeningTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("/api/v1/gpus/")]
    [InlineData("/api/v1/instances/")]
    [InlineData("/api/v1/nothing-here/")]
    public async Task Every_response_carries_the_security_headers(string url)
    {
        var john = await api.NewAccountAsync();
        foreach (var client in new[] { john, api.Anonymous() })
        {
            var reply = await client.GetAsync(url);
            Assert.Equal("nosniff", reply.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", reply.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("default-src 'none'; frame-ancestors 'none'", reply.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("no-referrer", reply.Headers.GetValues("Referrer-Policy").Single());
            Assert.True(reply.Headers.CacheControl is { Private: true, NoCache: true, NoStore: false });
        }
    }

    [Theory]
    [InlineData("GET", "/api/v1/instances/0190a1b2-0000-7000-8000-000000000000/")] // 404 from a handler
    [InlineData("POST", "/api/v1/instances/")] // 400 field errors from the validator
    [InlineData("PATCH", "/api/v1/instances/")] // 405 from routing
    public async Task Error_responses_carry_the_security_headers_and_the_correlation_id(string method, string url)
    {
        var john = await api.NewAccountAsync();

        var reply = await john.SendAsync(new HttpMethod(method), url, new StringContent("", Encoding.UTF8, "application/json"),
            r => r.Headers.Add("X-Correlation-ID", "error-headers-1"));

        Assert.True((int)reply.Status >= 400, $"{(int)reply.Status}: {reply.Body}");
        Assert.Equal("error-headers-1", reply.Headers.GetValues("X-Correlation-ID").Single());
        Assert.Equal("nosniff", reply.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", reply.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", reply.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-referrer", reply.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(reply.Headers.CacheControl is { NoCache: true }, $"Cache-Control: {reply.Headers.CacheControl}");
    }

    [Fact]
    public async Task The_login_response_holds_a_key_and_is_never_stored()
    {
        var john = await api.NewAccountAsync();

        var login = await api.Anonymous().PostFormAsync("/api/v1/api-token-auth/", ("username", john.Username), ("password", john.Password));

        login.EnsureStatus(200);
        Assert.True(login.Headers.CacheControl!.NoStore);
    }

    [Fact]
    public async Task A_body_over_64_KB_is_413_and_nothing_is_written()
    {
        var john = await api.NewAccountAsync();
        var huge = new StringContent($$"""{"name":"{{new string('x', 70 * 1024)}}","ask_price":0.5}""", Encoding.UTF8, "application/json");

        var reply = await john.SendAsync(HttpMethod.Post, InstancesUrl, huge);

        reply.Is(413, """{"detail":"Request body is too large."}""");
        Assert.Empty((await john.GetAsync(InstancesUrl)).Array);
        var justUnder = new StringContent($$"""{"name":"{{new string('x', 60 * 1024)}}","ask_price":0.5}""", Encoding.UTF8, "application/json");
        (await john.SendAsync(HttpMethod.Post, InstancesUrl, justUnder))
            .Is(400, """{"name":["Ensure this field has no more than 255 characters."]}""");
    }
}
