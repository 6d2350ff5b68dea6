using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;
using static Sharedcloud.Es.Api.Tests.Idempotency.IdempotencyKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Abuse;

/// <summary>
/// Every route the app maps, called with another account's key on one account's objects: nothing of
/// the first account is read or changed, and no response names it. A route the matrix does not know
/// fails the test, so each new route must say here how it keeps accounts apart.
/// </summary>
public sealed class AuthorisationMatrixTests(Jobs.MarketplaceApiFactory api) : IClassFixture<Jobs.MarketplaceApiFactory>
{
    /// <summary>Alice's function, run and job, for the marketplace's routes (set by the test before the matrix runs).</summary>
    private static (string Function, string Run, string Job) _alice;
    /// <summary>What Mallory (the other account) does on a route, given Alice's instance; each reply is checked for leaks.</summary>
    private delegate Task<Reply> Attempt(ApiClient mallory, string aliceInstance, string registryPath);

    private static readonly (string Method, string Route, Attempt Attempt, int Expected)[] Matrix =
    [
        ("GET", "/api/v1/instances/{id:guid}", (m, id, _) => m.GetAsync(Url(id)), 404),
        ("GET", "/api/v1/instances/{id:guid}", (m, id, _) => m.GetAsync(Url(id) + "?version=1"), 404),
        ("PUT", "/api/v1/instances/{id:guid}", (m, id, _) => m.SendFormAsync(HttpMethod.Put, Url(id), ("name", "taken"), ("ask_price", "9")), 404),
        ("PATCH", "/api/v1/instances/{id:guid}", (m, id, _) => m.PatchFormAsync(Url(id), ("ask_price", "9")), 404),
        ("DELETE", "/api/v1/instances/{id:guid}", (m, id, _) => m.DeleteAsync(Url(id)), 404),
        ("GET", "/api/v1/instances/{id:guid}/events", (m, id, _) => m.GetAsync(Url(id) + "events/"), 404),
        ("PATCH", "/api/v1/instances/{id:guid}/start", (m, id, _) => m.PatchFormAsync(Url(id) + "start/"), 404),
        ("PATCH", "/api/v1/instances/{id:guid}/stop", (m, id, _) => m.PatchFormAsync(Url(id) + "stop/"), 404),
        ("GET", "/api/v1/instances/{id:guid}/get-jobs", (m, id, _) => m.GetAsync(Url(id) + "get-jobs/"), 404),
        ("PATCH", "/api/v1/instances/{id:guid}/add-image", (m, id, path) => m.PatchFormAsync(Url(id) + "add-image/", ("image_registry_path", path)), 404),
        ("PATCH", "/api/v1/instances/{id:guid}/delete-image", (m, id, path) => m.PatchFormAsync(Url(id) + "delete-image/", ("image_registry_path", path)), 404),
        ("GET", "/api/v1/images", (m, id, _) => m.GetAsync($"/api/v1/images/?instance={id}"), 404),
        ("GET", "/api/v1/instances/{id:guid}/price-history", (m, id, _) => m.GetAsync(Url(id) + "price-history/"), 404),
        ("GET", "/api/v1/functions/{id:guid}", (m, _, _) => m.GetAsync($"/api/v1/functions/{_alice.Function}/"), 404),
        ("PUT", "/api/v1/functions/{id:guid}", (m, _, _) => m.SendFormAsync(HttpMethod.Put, $"/api/v1/functions/{_alice.Function}/", ("name", "x"), ("image", "nope"), ("code", "x")), 404),
        ("PATCH", "/api/v1/functions/{id:guid}", (m, _, _) => m.PatchFormAsync($"/api/v1/functions/{_alice.Function}/", ("name", "x")), 404),
        ("DELETE", "/api/v1/functions/{id:guid}", (m, _, _) => m.DeleteAsync($"/api/v1/functions/{_alice.Function}/"), 404),
        ("GET", "/api/v1/functions/{id:guid}/events", (m, _, _) => m.GetAsync($"/api/v1/functions/{_alice.Function}/events/"), 404),
        ("GET", "/api/v1/runs/{id:guid}", (m, _, _) => m.GetAsync($"/api/v1/runs/{_alice.Run}/"), 404),
        ("DELETE", "/api/v1/runs/{id:guid}", (m, _, _) => m.DeleteAsync($"/api/v1/runs/{_alice.Run}/"), 404),
        ("PUT", "/api/v1/runs/{id:guid}", (m, _, _) => m.SendFormAsync(HttpMethod.Put, $"/api/v1/runs/{_alice.Run}/", ("bid_price", "9")), 405),
        ("PATCH", "/api/v1/runs/{id:guid}", (m, _, _) => m.PatchFormAsync($"/api/v1/runs/{_alice.Run}/", ("bid_price", "9")), 405),
        ("GET", "/api/v1/runs/{id:guid}/events", (m, _, _) => m.GetAsync($"/api/v1/runs/{_alice.Run}/events/"), 404),
        ("GET", "/api/v1/jobs/{id:guid}", (m, _, _) => m.GetAsync($"/api/v1/jobs/{_alice.Job}/"), 404),
        ("PATCH", "/api/v1/jobs/{id:guid}", (m, _, _) => m.PatchFormAsync($"/api/v1/jobs/{_alice.Job}/", ("status", "2")), 404),
        ("GET", "/api/v1/jobs/{id:guid}/events", (m, _, _) => m.GetAsync($"/api/v1/jobs/{_alice.Job}/events/"), 404),
        ("GET", "/api/v1/functions", (m, _, _) => m.GetAsync("/api/v1/functions/"), 200),
        ("GET", "/api/v1/runs", (m, _, _) => m.GetAsync("/api/v1/runs/"), 200),
        ("GET", "/api/v1/jobs", (m, _, _) => m.GetAsync("/api/v1/jobs/"), 200),
        ("POST", "/api/v1/functions", (m, _, _) => m.PostFormAsync("/api/v1/functions/", ("name", "mallory's"), ("image", Jobs.MarketplaceKit.Python36),
            ("code", Jobs.MarketplaceKit.HelloCode)), 201),
        // Mallory has no balance: her own run is refused before anything is written.
        ("POST", "/api/v1/runs", async (m, _, _) => await m.PostFormAsync("/api/v1/runs/",
            ("function", Jobs.MarketplaceKit.Uuid((await m.GetAsync("/api/v1/functions/")).Array[0]!)), ("parameters", "((1,),)"), ("bid_price", "1")), 400),
        // Routes on the caller's own things: Alice's objects cannot even be named; the checks below show they stay as they were.
        ("GET", "/api/v1/instances", (m, _, _) => m.GetAsync(InstancesUrl), 200),
        ("POST", "/api/v1/instances", (m, _, _) => m.PostFormAsync(InstancesUrl, ("name", "mallory's"), ("ask_price", "1")), 201),
        ("GET", "/api/v1/audit", (m, id, _) => m.GetAsync($"/api/v1/audit/?instance={id}"), 200),
        ("GET", "/api/v1/users", (m, _, _) => m.GetAsync("/api/v1/users/"), 200),
        ("GET", "/api/v1/analytics/activity", (m, _, _) => m.GetAsync("/api/v1/analytics/activity/"), 200),
        ("GET", "/api/v1/analytics/billing", (m, _, _) => m.GetAsync("/api/v1/analytics/billing/"), 200),
        ("GET", "/api/v1/users/account", (m, _, _) => m.GetAsync("/api/v1/users/account/"), 200),
        ("PATCH", "/api/v1/users/account", (m, id, _) => m.SendJsonAsync(HttpMethod.Patch, "/api/v1/users/account/", new { uuid = id, email = "mallory@example.com" }), 200),
        // Shared reference data and the marketplace: readable by all, with no owner in them.
        ("GET", "/api/v1/gpus", (m, _, _) => m.GetAsync("/api/v1/gpus/"), 200),
        ("GET", "/api/v1/gpus/{id:guid}", async (m, _, _) => await m.GetAsync($"/api/v1/gpus/{await FirstUuid(m, "/api/v1/gpus/")}/"), 200),
        ("GET", "/api/v1/images/{id:guid}", async (m, _, _) => await m.GetAsync($"/api/v1/images/{await FirstUuid(m, "/api/v1/images/")}/"), 200),
        ("GET", "/api/v1/offers", (m, _, _) => m.GetAsync("/api/v1/offers/"), 200),
        ("GET", "/api/v1/analytics/marketplace", (m, _, _) => m.GetAsync("/api/v1/analytics/marketplace/"), 200),
        // Open routes: sign-up and login name their own account only; health names none.
        ("POST", "/api/v1/users", (m, _, _) => m.SignUpAsync(TestHelpers.NewUsername(), "someone@example.com", "a-long-enough-passphrase"), 201),
        ("POST", "/api/v1/api-token-auth", (m, _, _) => m.PostFormAsync("/api/v1/api-token-auth/", ("username", m.Username), ("password", m.Password)), 200),
        ("GET", "/health/live", (m, _, _) => m.GetAsync("/health/live"), 200),
        ("GET", "/health/ready", (m, _, _) => m.GetAsync("/health/ready"), 200),
        // Outside the API: for operators (metrics) and integrators (the API's description); no account in them.
        ("GET", "/metrics", (m, _, _) => m.GetAsync("/metrics"), 200),
        ("GET", "/openapi/{documentName:regex(^v1$)}.json", (m, _, _) => m.GetAsync("/openapi/v1.json"), 200),
        ("GET", "/docs", (m, _, _) => m.GetAsync("/docs"), 200),
        ("GET", "/docs/{documentName?}", (m, _, _) => m.GetAsync("/docs/v1"), 200),
        ("GET", "/docs/scalar.js", (m, _, _) => m.GetAsync("/docs/scalar.js"), 200),
        ("GET", "/docs/scalar.aspnetcore.js", (m, _, _) => m.GetAsync("/docs/scalar.aspnetcore.js"), 200),
        ("GET", "/docs/favicon.svg", (m, _, _) => m.GetAsync("/docs/favicon.svg"), 200),
        // Last: Mallory deletes her own account, which must not take Alice's instances with it.
        ("DELETE", "/api/v1/users/account", (m, _, _) => m.DeleteAsync("/api/v1/users/account/"), 204),
    ];

    [Fact]
    public void The_matrix_covers_every_route_the_app_maps()
    {
        var mapped = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => $"{m} {e.RoutePattern.RawText!.TrimEnd('/')}"))
            .ToHashSet();
        var known = Matrix.Select(r => $"{r.Method} {r.Route}").ToHashSet();

        Assert.Empty(mapped.Except(known)); // a new route: add how another account is kept out of it to Matrix
        Assert.Empty(known.Except(mapped));
    }

    [Fact]
    public async Task Another_accounts_key_reads_and_changes_nothing_of_an_account_and_no_reply_names_it()
    {
        var alice = await api.NewBetaAccountAsync();
        var mallory = await api.NewAccountAsync();
        var function = await Jobs.MarketplaceKit.CreateFunctionAsync(alice);
        var run = Jobs.MarketplaceKit.Uuid(await Jobs.MarketplaceKit.CreateRunAsync(alice, function, "((1,),)"));
        _alice = (function, run, Jobs.MarketplaceKit.Uuid((await Jobs.MarketplaceKit.JobsAsync(alice))[0]!));
        var gpu = await FirstUuid(alice, "/api/v1/gpus/");
        var registryPath = (await alice.GetAsync("/api/v1/images/")).EnsureStatus(200).Array
            .First(i => !i!["requires_gpu"]!.GetValue<bool>())!["registry_path"]!.GetValue<string>();
        var instance = Uuid(await alice.CreateInstanceAsync(("name", "alice-box"), ("ask_price", "0.5")));
        await alice.CreateInstanceAsync(("name", "alice-gpu"), ("ask_price", "0.7"), ("type", "gpu"), ("gpu", gpu));
        (await alice.PatchFormAsync(Url(instance) + "add-image/", ("image_registry_path", registryPath))).EnsureStatus(200);
        (await alice.PatchFormAsync(Url(instance) + "start/")).EnsureStatus(200);
        (await alice.GetAsync(Url(instance) + "get-jobs/")).EnsureStatus(200); // online: on the marketplace
        var aliceId = (await alice.AccountIdAsync()).ToString();
        string[] aliceNames = [alice.Username, $"{alice.Username}@example.com", aliceId, instance, alice.Key, _alice.Function, _alice.Run, _alice.Job];
        var before = await SnapshotAsync(alice, instance);

        foreach (var (method, route, attempt, expected) in Matrix)
        {
            var reply = await attempt(mallory, instance, registryPath);
            Assert.True((int)reply.Status == expected, $"{method} {route}: expected {expected}, got {(int)reply.Status}: {reply.Body}");
            if (expected == 404) reply.Is(404, """{"detail":"Not found."}""");
            foreach (var name in aliceNames)
                Assert.False(reply.Body.Contains(name, StringComparison.OrdinalIgnoreCase), $"{method} {route} names Alice ({name}): {reply.Body}");
            if (method == "PATCH" && route == "/api/v1/users/account") mallory = await LogInAgainAsync(mallory); // the change rotated her key
        }

        Assert.Equal(before, await SnapshotAsync(alice, instance));
        var offer = Assert.Single((await alice.GetAsync("/api/v1/offers/")).Array, o => o!["name"]!.GetValue<string>() == "alice-box");
        Assert.Equal(["name", "type", "gpu_name", "cuda_cores", "ask_price", "last_connection", "current_server_time"], offer!.AsObject().Keys());
    }

    /// <summary>Everything Alice can read of herself, without the fields that move with the clock alone.</summary>
    private static async Task<string> SnapshotAsync(ApiClient alice, string instance)
    {
        var parts = new List<JsonNode?>();
        foreach (var url in new[] { "/api/v1/users/account/", InstancesUrl, Url(instance), Url(instance) + "events/", "/api/v1/audit/",
                     $"/api/v1/images/?instance={instance}", "/api/v1/functions/", "/api/v1/runs/", "/api/v1/jobs/" })
            parts.Add(WithoutServerTime((await alice.GetAsync(url)).EnsureStatus(200).Json));
        return new JsonArray(parts.ToArray()).ToJsonString();
    }

    private static JsonNode? WithoutServerTime(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                o.Remove("current_server_time");
                foreach (var (_, value) in o.ToList()) WithoutServerTime(value);
                break;
            case JsonArray a:
                foreach (var item in a) WithoutServerTime(item);
                break;
        }
        return node;
    }

    private async Task<ApiClient> LogInAgainAsync(ApiClient client)
    {
        var key = await api.Anonymous().LogInAsync(client.Username, client.Password);
        var http = api.NewHttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Token", key);
        return new ApiClient(http) { Username = client.Username, Password = client.Password, Key = key };
    }

    private static async Task<string> FirstUuid(ApiClient client, string url) =>
        (await client.GetAsync(url)).EnsureStatus(200).Array[0]!["uuid"]!.GetValue<string>();
}
