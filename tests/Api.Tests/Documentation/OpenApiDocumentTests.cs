using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;

namespace Sharedcloud.Es.Api.Tests.Documentation;

/// <summary>The OpenAPI document at /openapi/v1.json: complete, lint-clean, and true to what the API does.</summary>
public sealed class OpenApiDocumentTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    [Fact]
    public async Task Every_route_is_documented()
    {
        var document = await DocumentAsync();
        var endpoints = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .ToList();

        var undocumented = endpoints
            .Where(e => e.Metadata.GetMetadata<OperationDoc>() is null)
            .Select(e => $"{string.Join(",", e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])} {e.RoutePattern.RawText}")
            .ToList();
        Assert.True(undocumented.Count == 0,
            "Routes without documentation (add .Documented(...) next to their Map call, or .ExcludeFromDescription()): " +
            string.Join("; ", undocumented));

        var missing = endpoints
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (Method: m.ToLowerInvariant(), Path: OpenApiPath(e.RoutePattern.RawText!))))
            .Where(op => document["paths"]?[op.Path]?[op.Method] is null)
            .Select(op => $"{op.Method} {op.Path}")
            .ToList();
        Assert.True(missing.Count == 0, "Documented routes absent from the document: " + string.Join("; ", missing));
        Assert.True(endpoints.Count >= 25, $"only {endpoints.Count} routes were found");
    }

    [Fact]
    public async Task The_document_lints_clean_with_redocly()
    {
        var file = Path.Combine(Path.GetTempPath(), $"openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, (await api.Anonymous().GetAsync(ApiDocs.DocumentPath)).EnsureStatus(200).Body);
        try
        {
            var config = Path.Combine(DocsTools.Repository, "tests", "Api.Tests", "Documentation", "redocly.yaml");
            var (exit, output, error) = await DocsTools.RunAsync(DocsTools.Redocly,
                ["lint", "--config", config, "--format", "json", file], TimeSpan.FromMinutes(2),
                new Dictionary<string, string> { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" });

            var report = JsonNode.Parse(output[output.IndexOf('{')..])!;
            Assert.True(exit == 0 && (int)report["totals"]!["errors"]! == 0 && (int)report["totals"]!["warnings"]! == 0,
                $"redocly lint exited {exit}: {report["problems"]?.ToJsonString()} {error}");
            Assert.Equal(0, (int)report["totals"]!["ignored"]!);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Operations_ask_for_a_key_exactly_where_the_api_does()
    {
        var document = await DocumentAsync();
        var anonymous = api.Anonymous();
        var checkedOperations = 0;
        foreach (var (path, method, operation) in Operations(document))
        {
            var url = path.Replace("{id}", Guid.NewGuid().ToString());
            var reply = await anonymous.SendAsync(new HttpMethod(method.ToUpperInvariant()), url,
                method is "get" or "delete" ? null : new FormUrlEncodedContent([]));
            var needsKey = operation["security"]!.AsArray().Any(r => r!.AsObject().ContainsKey("Token"));

            Assert.True(needsKey == (reply.Status == HttpStatusCode.Unauthorized),
                $"{method} {path}: documented {(needsKey ? "with" : "without")} a key, answered {(int)reply.Status} {reply.Body}");
            Assert.Equal(needsKey, operation["responses"]!.AsObject().ContainsKey("401"));
            checkedOperations++;
        }
        Assert.True(checkedOperations >= 25, $"only {checkedOperations} operations");
    }

    [Fact]
    public async Task Documented_response_fields_are_the_fields_responses_have()
    {
        var document = await DocumentAsync();
        var alice = await api.NewAccountAsync();
        var gpu = (await alice.GetAsync("/api/v1/gpus/")).EnsureStatus(200).Array[0]!["uuid"]!.GetValue<string>();
        var image = (await alice.GetAsync("/api/v1/images/")).EnsureStatus(200).Array
            .First(i => i!["requires_gpu"]!.GetValue<bool>())!;
        var instance = await alice.CreateInstanceAsync(("name", "box"), ("ask_price", "0.5"), ("type", "gpu"), ("gpu", gpu));
        var url = $"/api/v1/instances/{instance["uuid"]}/";
        (await alice.SendAsync(HttpMethod.Patch, url + "start/", null)).EnsureStatus(200);
        (await alice.GetAsync(url + "get-jobs/")).EnsureStatus(200);
        (await alice.SendFormAsync(HttpMethod.Patch, url + "add-image/",
            ("image_registry_path", image["registry_path"]!.GetValue<string>()))).EnsureStatus(200);

        AssertShape(document, "getInstance", (await alice.GetAsync(url)).EnsureStatus(200).Object);
        AssertShape(document, "getAccount", (await alice.GetAsync("/api/v1/users/account/")).EnsureStatus(200).Object);
        AssertShape(document, "getGpu", (await alice.GetAsync($"/api/v1/gpus/{gpu}/")).EnsureStatus(200).Object);
        AssertShape(document, "getImage", (await alice.GetAsync($"/api/v1/images/{image["uuid"]}/")).EnsureStatus(200).Object);
        AssertShape(document, "listOffers", (await alice.GetAsync("/api/v1/offers/")).EnsureStatus(200).Array.Single()!.AsObject());
        AssertShape(document, "listInstanceEvents", (await alice.GetAsync(url + "events/")).EnsureStatus(200).Array[0]!.AsObject());
        var feed = (await alice.GetAsync("/api/v1/audit/")).EnsureStatus(200).Array;
        AssertShape(document, "listAuditEvents", feed.First(e => e!["actor"] is not null)!.AsObject());
        AssertShape(document, "listAuditEvents", feed.First(e => e!["actor"] is not null)!["actor"]!.AsObject(), "actor");
        var login = await alice.PostFormAsync("/api/v1/api-token-auth/", ("username", alice.Username), ("password", alice.Password));
        AssertShape(document, "logIn", login.EnsureStatus(200).Object);
        AssertShape(document, "getInstance",
            (await alice.GetAsync($"/api/v1/instances/{Guid.NewGuid()}/")).EnsureStatus(404).Object, status: "404");
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data")]
    public async Task The_documented_request_fields_are_read_in_every_documented_encoding(string contentType)
    {
        var document = await DocumentAsync();
        var body = Operation(document, "createInstance")["requestBody"]!["content"]![contentType]!["schema"]!;
        var fields = Resolve(document, body)["properties"]!.AsObject().Select(p => p.Key).ToList();
        var alice = await api.NewAccountAsync();
        var gpu = (await alice.GetAsync("/api/v1/gpus/")).EnsureStatus(200).Array[0]!["uuid"]!.GetValue<string>();
        // A GPU instance takes one job at a time and a CPU instance no GPU: two bodies cover every field.
        var gpuInstance = new Dictionary<string, string>
        {
            ["name"] = "documented", ["ask_price"] = "0.25", ["type"] = "gpu", ["gpu"] = gpu, ["max_num_parallel_jobs"] = "1",
        };
        var cpuInstance = new Dictionary<string, string> { ["name"] = "cpu", ["ask_price"] = "1.5", ["type"] = "cpu", ["max_num_parallel_jobs"] = "3" };
        Assert.Equal(gpuInstance.Keys.Order(), fields.Order());

        var created = (await alice.SendAsync(HttpMethod.Post, "/api/v1/instances/", Encode(contentType, gpuInstance))).EnsureStatus(201).Object;
        Assert.Equal("documented", created["name"]!.GetValue<string>());
        Assert.Equal(0.25m, created["ask_price"]!.GetValue<decimal>());
        Assert.Equal(2, created["type"]!.GetValue<int>());
        Assert.Equal(gpu, created["gpu"]!.GetValue<string>());
        created = (await alice.SendAsync(HttpMethod.Post, "/api/v1/instances/", Encode(contentType, cpuInstance))).EnsureStatus(201).Object;
        Assert.Equal(1, created["type"]!.GetValue<int>());
        Assert.Equal(3, created["max_num_parallel_jobs"]!.GetValue<int>());
    }

    private static HttpContent Encode(string contentType, Dictionary<string, string> values) => contentType switch
    {
        "application/json" => new StringContent(JsonSerializer.Serialize(values), Encoding.UTF8, contentType),
        "application/x-www-form-urlencoded" => new FormUrlEncodedContent(values),
        _ => Multipart(values),
    };

    [Fact]
    public async Task The_reference_page_is_served_with_a_policy_that_allows_this_origin_alone()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = api.Address };

        var bare = await client.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/docs/v1", bare.Headers.Location?.OriginalString);

        foreach (var path in new[] { "/docs/v1", "/docs/v1/" })
        {
            var page = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var html = await page.Content.ReadAsStringAsync();
            var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
            var nonce = System.Text.RegularExpressions.Regex.Match(html, "nonce=\"([^\"]+)\"").Groups[1].Value;
            Assert.NotEmpty(nonce);
            Assert.Contains($"script-src 'self' 'nonce-{nonce}'", policy);
            Assert.Contains("default-src 'none'", policy);
            Assert.Contains("frame-ancestors 'none'", policy);
            Assert.DoesNotContain("http", policy);
            Assert.DoesNotContain("*", policy);
            Assert.Contains("<base href=\"/docs/\">", html);
        }

        var script = await client.GetAsync("/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000, "the bundled Scalar script is missing");
    }

    [Fact]
    public async Task The_reference_page_renders_every_operation_in_headless_chromium_without_leaving_this_origin()
    {
        var summaries = Operations(await DocumentAsync()).Select(o => o.Operation["summary"]!.GetValue<string>()).Distinct().ToList();
        var script = Path.Combine(DocsTools.Repository, "tests", "Api.Tests", "Documentation", "render-reference.mjs");
        var url = new Uri(api.Address, "/docs").ToString();

        var (exit, output, error) = await DocsTools.RunAsync("node",
            [script, DocsTools.PlaywrightCore, DocsTools.ChromiumExecutable, url, "60000", .. summaries], TimeSpan.FromMinutes(3));

        Assert.True(exit == 0, $"the browser script exited {exit}: {error}");
        var result = JsonNode.Parse(output)!;
        Assert.Equal(200, (int)result["status"]!);
        Assert.EndsWith("/docs/v1", result["url"]!.GetValue<string>());
        Assert.Equal("Sharedcloud API", result["title"]!.GetValue<string>());
        Assert.True(result["missing"]!.AsArray().Count == 0, $"not rendered: {result["missing"]!.ToJsonString()}");
        var origin = api.Address.GetLeftPart(UriPartial.Authority);
        // Zod, bundled in Scalar's script, probes once whether it may compile code (`Function('')` in a try)
        // and, refused by the policy, validates without compiling. That refusal is the policy working.
        var problems = result["problems"]!.AsArray().Select(p => p!.GetValue<string>())
            .Where(p => !p.StartsWith($"CSP violation: script-src eval at {origin}/docs/scalar.js:", StringComparison.Ordinal))
            .ToList();
        Assert.True(problems.Count == 0, $"the page reported: {string.Join("; ", problems)}");
        var requests = result["requests"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        Assert.All(requests, r => Assert.True(r.StartsWith(origin + "/", StringComparison.Ordinal) || r.StartsWith("data:"),
            $"the page requested {r}"));
        Assert.Contains(requests, r => r.EndsWith(ApiDocs.DocumentPath, StringComparison.Ordinal));
    }

    private async Task<JsonObject> DocumentAsync()
    {
        var reply = await api.Anonymous().GetAsync(ApiDocs.DocumentPath);
        reply.EnsureStatus(200);
        Assert.Equal("application/json", reply.ContentHeaders.ContentType?.MediaType);
        return reply.Object;
    }

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonObject document) =>
        document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Where(m => Methods.Contains(m.Key))
            .Select(m => (path.Key, m.Key, m.Value!.AsObject())));

    private static JsonObject Operation(JsonObject document, string operationId) =>
        Operations(document).Single(o => o.Operation["operationId"]?.GetValue<string>() == operationId).Operation;

    /// <summary>The schema, following <c>$ref</c> to components (responses and schemas), arrays to their items.</summary>
    private static JsonObject Resolve(JsonObject document, JsonNode node)
    {
        while (true)
        {
            if (node["$ref"] is { } reference)
                node = reference.GetValue<string>().TrimStart('#', '/').Split('/').Aggregate((JsonNode)document, (n, part) => n[part]!);
            else if (node["items"] is { } items) node = items;
            else if (node["oneOf"] is JsonArray oneOf) node = oneOf.First(s => s!["type"]?.ToString() != "null")!;
            else return node.AsObject();
        }
    }

    /// <summary>The response's fields are exactly the documented schema's properties.</summary>
    private static void AssertShape(JsonObject document, string operationId, JsonObject actual, string? property = null,
        string status = "200")
    {
        var response = Resolve(document, Operation(document, operationId)["responses"]![status]!);
        var schema = Resolve(document, response["content"]!["application/json"]!["schema"]!);
        if (property is not null) schema = Resolve(document, schema["properties"]![property]!);
        var documented = schema["properties"]!.AsObject().Select(p => p.Key).Order().ToList();
        Assert.True(documented.SequenceEqual(actual.Select(p => p.Key).Order()),
            $"{operationId} {property}: documented [{string.Join(", ", documented)}], answered {actual.ToJsonString()}");
    }

    private static MultipartFormDataContent Multipart(Dictionary<string, string> values)
    {
        var content = new MultipartFormDataContent();
        foreach (var (name, value) in values) content.Add(new StringContent(value), name);
        return content;
    }

    /// <summary>A route pattern as an OpenAPI path: no constraints, no trailing slash.</summary>
    private static string OpenApiPath(string pattern) =>
        "/" + System.Text.RegularExpressions.Regex.Replace(pattern, @"\{([^}:?]+)[^}]*\}", "{$1}").Trim('/');
}

/// <summary>A host with the document and the page turned off.</summary>
public sealed class DocsDisabledApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting(ApiDocs.EnabledKey, "false");
    }
}

public sealed class DocsDisabledTests(DocsDisabledApiFactory api) : IClassFixture<DocsDisabledApiFactory>
{
    [Theory]
    [InlineData("/openapi/v1.json")]
    [InlineData("/docs")]
    [InlineData("/docs/v1")]
    [InlineData("/docs/scalar.js")]
    public async Task With_ApiDocs_Enabled_false_nothing_is_served(string path)
    {
        var reply = await api.Anonymous().GetAsync(path);

        reply.Is(404, """{"detail":"Not found."}""");
    }
}
