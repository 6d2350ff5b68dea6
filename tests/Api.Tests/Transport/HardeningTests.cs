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
