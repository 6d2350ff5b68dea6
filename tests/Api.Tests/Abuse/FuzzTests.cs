using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sharedcloud.Es.Api.Tests.Abuse;

/// <summary>
/// Thousands of random, mostly malformed requests over every route the app maps (read from its
/// EndpointDataSource, so new routes are covered without editing this test): no 5xx, no dropped
/// connection, and every 4xx the app writes is DRF-shaped JSON. The seed is random and printed;
/// replay a run with SHAREDCLOUD_FUZZ_SEED=&lt;seed&gt;.
/// </summary>
public sealed class FuzzTests(FuzzTests.Factory api, ITestOutputHelper output) : IClassFixture<FuzzTests.Factory>
{
    /// <summary>Logs captured, so that a failure the client cannot see (after the response started) fails the test too.</summary>
    public sealed class Factory : ApiFactory
    {
        public LogCapture Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
        }
    }

    private const int Workers = 4;
    private const int RequestsPerWorker = 750;

    [Fact]
    public async Task No_request_gets_a_5xx_a_dropped_connection_or_an_error_body_of_another_shape()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SHAREDCLOUD_FUZZ_SEED"), out var given)
            ? given
            : Random.Shared.Next();
        output.WriteLine($"fuzz seed {seed} (replay with SHAREDCLOUD_FUZZ_SEED={seed})");

        var routes = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Pattern: e.RoutePattern.RawText!, Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []))
            .ToArray();
        Assert.Contains(routes, r => r.Pattern.Contains("{id:guid}")); // the generator below fills these in
        var catalog = await CatalogAsync();
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var transportRejections = 0;

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(async worker =>
        {
            var fuzz = new RequestFuzzer(new Random(seed + worker), routes, catalog, api.Address.Authority);
            var accounts = new[] { await NewAccountAsync(), await NewAccountAsync() };
            for (var i = 0; i < RequestsPerWorker && failures.IsEmpty; i++)
            {
                var request = fuzz.Next(accounts[0], accounts[1]);
                var where = $"seed {seed}, worker {worker}, request {i}: {request.Describe()}";
                RawResponse response;
                try
                {
                    response = await RawHttp.SendAsync(api.Address, request.Bytes, TimeSpan.FromSeconds(30));
                }
                catch (Exception e)
                {
                    failures.Enqueue($"no response ({e.GetType().Name}: {e.Message}) for {where}");
                    break;
                }
                statuses.AddOrUpdate(response.Status, 1, (_, n) => n + 1);
                if (Check(request, response) is { } problem)
                {
                    failures.Enqueue($"{problem} for {where}");
                    break;
                }
                if (!response.Headers.ContainsKey("x-correlation-id")) Interlocked.Increment(ref transportRejections);
                await Learn(request, response, accounts);
            }
        }));

        output.WriteLine("statuses: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        output.WriteLine($"refused by Kestrel before the app: {transportRejections}");
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
        var errors = api.Logs.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
        Assert.True(errors.Count == 0, $"seed {seed}: the app logged errors:\n" + string.Join("\n", errors.Select(e => e.AllText)));
        Assert.True(statuses.Keys.Count(s => s is >= 200 and < 300) > 0, "no request succeeded: the fuzzer only tested refusals");
        (await api.Anonymous().GetAsync("/health/ready")).EnsureStatus(200);
    }

    /// <summary>What is wrong with a response, or null.</summary>
    private static string? Check(FuzzRequest request, RawResponse response)
    {
        if (response.Status >= 500) return $"{response.Status} {Truncate(response.Text)}";
        var fromApp = response.Headers.ContainsKey("x-correlation-id");
        if (!fromApp)
            // Kestrel refuses malformed HTTP itself (bad request line or header, too long): no body, no app.
            return response.Status is 400 or 414 or 431 ? null : $"{response.Status} without the app's headers";
        if (response.Status < 400 || request.Method == "HEAD") return null;
        // The reference page's static files (outside the API) answer conditional requests as static files do.
        if (response.Status == 412 && request.Path.StartsWith("/docs/", StringComparison.Ordinal)) return null;
        if (!response.Headers.TryGetValue("content-type", out var type) || !type.StartsWith("application/json", StringComparison.Ordinal))
            return $"{response.Status} with Content-Type {type}: {Truncate(response.Text)}";
        try
        {
            using var body = JsonDocument.Parse(response.Body);
            var root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.EnumerateObject().Any()) return $"{response.Status} body is not a DRF error: {Truncate(response.Text)}";
            var properties = root.EnumerateObject().ToList();
            var isDetail = properties is [{ Name: "detail", Value.ValueKind: JsonValueKind.String }];
            var isFieldErrors = properties.All(p => p.Value.ValueKind == JsonValueKind.Array && p.Value.GetArrayLength() > 0
                && p.Value.EnumerateArray().All(m => m.ValueKind == JsonValueKind.String));
            return isDetail || isFieldErrors ? null : $"{response.Status} body is not a DRF error: {Truncate(response.Text)}";
        }
        catch (JsonException)
        {
            return $"{response.Status} body is not JSON: {Truncate(response.Text)}";
        }
    }

    /// <summary>Keeps the workers' accounts usable (a changed account has a new key) and learns new instance ids.</summary>
    private async Task Learn(FuzzRequest request, RawResponse response, FuzzAccount[] accounts)
    {
        if (request.Account is { } account && request.Path.StartsWith("/api/v1/users/account", StringComparison.Ordinal)
            && request.Method is "PATCH" or "DELETE" && response.Status is 200 or 204)
            accounts[Array.IndexOf(accounts, account)] = await NewAccountAsync();
        else if (request.Account is { } owner && response.Status == 201 && request.Path.StartsWith("/api/v1/instances", StringComparison.Ordinal))
        {
            using var body = JsonDocument.Parse(response.Body);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("uuid", out var uuid))
                owner.Instances.Add(uuid.GetString()!);
        }
    }

    private async Task<FuzzAccount> NewAccountAsync()
    {
        var client = await api.NewAccountAsync();
        var instance = await client.CreateInstanceAsync();
        return new FuzzAccount(client.Key, [instance["uuid"]!.GetValue<string>()]);
    }

    private async Task<FuzzCatalog> CatalogAsync()
    {
        var john = await api.NewAccountAsync();
        var gpus = (await john.GetAsync("/api/v1/gpus/")).EnsureStatus(200).Array.Select(g => g!["uuid"]!.GetValue<string>()).ToArray();
        var images = (await john.GetAsync("/api/v1/images/")).EnsureStatus(200).Array;
        return new FuzzCatalog(gpus, images.Select(i => i!["uuid"]!.GetValue<string>()).ToArray(),
            images.Select(i => i!["registry_path"]!.GetValue<string>()).ToArray());
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";
}

public sealed record FuzzAccount(string Key, List<string> Instances);

public sealed record FuzzCatalog(string[] Gpus, string[] Images, string[] RegistryPaths);

public sealed record FuzzRequest(string Method, string Path, FuzzAccount? Account, byte[] Bytes)
{
    public string Describe()
    {
        var text = Encoding.Latin1.GetString(Bytes);
        return text.Length <= 600 ? text : text[..600] + $"... ({Bytes.Length} bytes)";
    }
}

/// <summary>Builds one random request at a time from a seeded Random.</summary>
public sealed class RequestFuzzer(Random random, (string Pattern, IReadOnlyList<string> Methods)[] routes, FuzzCatalog catalog, string authority)
{
    private const int BodyLimit = 64 * 1024;

    private static readonly string[] AnyMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "get", "CONNECT"];
    private static readonly string[] Fields =
        ["name", "ask_price", "type", "gpu", "max_num_parallel_jobs", "username", "email", "password", "image_registry_path",
         "uuid", "status", "", "__proto__", new string('f', 300)];
    private static readonly string[] QueryNames =
        ["limit", "version", "at", "since_version", "since", "until", "cursor", "type", "gpu", "max_price", "instance", "token", ""];
    private static readonly string[] ContentTypes =
        ["application/x-www-form-urlencoded", "application/json", "application/json; charset=utf-16", "multipart/form-data; boundary=FuzzBoundary",
         "multipart/form-data", "text/plain", "application/xml", "garbage/", ";;;", "application/vnd.api+json",
         "application/x-www-form-urlencoded; charset=iso-8859-1", "multipart/form-data; boundary="];

    private string[] Values =>
    [
        "", " ", "box", "0.02", "1e400", "-1e400", "1e-400", "-0", "NaN", "Infinity", "-1", "0", "0.0001", "0.001", "99999999999999999999",
        "2147483648", "-2147483649", "9223372036854775808", "1", "2", "3", "gpu", "cpu", "GPU", RandomGuid().ToString(), Pick(catalog.Gpus),
        Pick(catalog.Images), Pick(catalog.RegistryPaths), new string('x', 256), new string('x', random.Next(1000, 60_000)), "\u0000", "ü", "😀",
        "%ff", "a\u0000b", "user@example.com", "a-long-enough-passphrase", "1.2345", "12345678901.5", "27-11-2026 07:09:25", "2026-11-27T07:09:25Z",
        "0001-01-01", "9999-12-31T23:59:59Z", "[]", "{}", "null", "true",
    ];

    public FuzzRequest Next(FuzzAccount own, FuzzAccount other)
    {
        var (pattern, methods) = random.Next(10) == 0 ? (RandomPath(), []) : routes[random.Next(routes.Length)];
        var method = methods.Count > 0 && random.Next(10) < 6 ? methods[random.Next(methods.Count)] : Pick(AnyMethods);
        var account = random.Next(10) switch { < 5 => own, < 7 => other, _ => null };
        var path = pattern.Replace("{id:guid}", Id(own, other));
        var target = Encoding.UTF8.GetBytes(PathTricks(path) + Query());
        if (random.Next(40) == 0) target = [.. target, 0xff, 0xfe]; // invalid UTF-8 in the target, raw
        if (random.Next(80) == 0) target = Encoding.ASCII.GetBytes("/api/v1/instances/" + new string('a', 10_000)); // too long

        var headers = new List<(string, byte[])>();
        Header(headers, "Authorization", Authorization(account));
        if (random.Next(4) == 0) Header(headers, "If-Match", Pick(Tags));
        if (random.Next(6) == 0) Header(headers, "If-None-Match", Pick(Tags));
        if (random.Next(5) == 0) IdempotencyKey(headers);
        if (random.Next(8) == 0) Header(headers, "X-Correlation-ID", Pick(["", "ok-1", new string('c', 500), "a b", "ü", "../../x"]));
        if (random.Next(60) == 0) Header(headers, "X-Huge", new string('h', random.Next(10_000, 40_000)));
        if (random.Next(20) == 0) Header(headers, "Content-Encoding", "gzip");
        if (random.Next(20) == 0) Header(headers, "Accept", Pick(["text/html", "*/*", "application/xml", "garbage"]));

        byte[]? body = null;
        if (method is not ("GET" or "HEAD") || random.Next(5) == 0)
        {
            var contentType = random.Next(8) == 0 ? null : Pick(ContentTypes);
            if (contentType is not null) Header(headers, "Content-Type", contentType);
            body = Body(contentType);
        }
        return new FuzzRequest(method, path, account, RawHttp.Request(method, target, authority, headers, body));
    }

    private static readonly string[] Tags = ["\"1\"", "\"2\"", "*", "W/\"1\"", "garbage", "\"99999999999999999999\"", "\"-1\"", "\"\"", ",,,", "\"1\", \"2\""];

    private string Id(FuzzAccount own, FuzzAccount other) => random.Next(12) switch
    {
        < 4 => Pick(own.Instances.ToArray()),
        < 6 => Pick(other.Instances.ToArray()),
        6 => Pick(catalog.Gpus),
        7 => Pick(catalog.Images),
        8 => RandomGuid().ToString(),
        9 => RandomGuid().ToString("N").ToUpperInvariant(),
        _ => Pick(["not-a-uuid", "%00", "..%2f..%2fusers", new string('f', 3000), "%ff%fe", "-0", "1e400", "{id}", "%7Bid%7D", ".", "..", "%2e%2e"]),
    };

    private string RandomPath() => Pick([
        "/", "/api", "/api/v1", "/api/v1/", "/api/v2/instances/", "/api/v1/instances/x/y/z/", "/api/v1/users/account/extra",
        "/api/v1/../v1/instances/", "/api/v1/%2e%2e/v1/users/", "//api//v1//instances//", "/api/v1/instances%00/", "/API/V1/INSTANCES/",
        "/health", "/health/ready/x", "/api/v1/api-token-auth/../users/", "/favicon.ico", "/api/v1/offers;jsessionid=1",
    ]);

    private string PathTricks(string path) => random.Next(14) switch
    {
        0 => path + "//",
        1 => "/" + path,
        2 => path.Replace("/v1/", "/v1/./"),
        3 => path.Replace("/v1/", "/v1%2f"),
        4 => path.ToUpperInvariant(),
        5 => path + "%00",
        6 => path + "/..",
        7 => path + ";x=1",
        _ => random.Next(2) == 0 ? path + "/" : path,
    };

    private string Query()
    {
        if (random.Next(3) != 0) return "";
        var parts = Enumerable.Range(0, random.Next(1, 4))
            .Select(_ => $"{Pick(QueryNames)}={Uri.EscapeDataString(Truncated(Pick(Values), 2000))}");
        var query = "?" + string.Join("&", parts);
        return random.Next(10) == 0 ? query + "&%zz=%ff&&=" : query;
    }

    private string? Authorization(FuzzAccount? account)
    {
        if (account is not null) return random.Next(10) == 0 ? "token " + account.Key : "Token " + account.Key;
        return random.Next(4) switch
        {
            0 => null,
            1 => "Token " + Convert.ToHexStringLower(RandomBytes(20)), // well-formed, unknown
            2 => Pick(["Token", "Token a b", "Bearer x", "Basic dXNlcjpwYXNz", "Token " + new string('a', 5000), "Token ü", "Token\t"]),
            _ => null,
        };
    }

    private void IdempotencyKey(List<(string, byte[])> headers)
    {
        var key = Pick(["k-" + random.Next(50), "", new string('k', 300), "ключ", " spaced ", "k-" + RandomGuid()]);
        Header(headers, "Idempotency-Key", key);
        if (random.Next(10) == 0) Header(headers, "Idempotency-Key", key); // sent twice
    }

    private byte[] Body(string? contentType)
    {
        if (random.Next(12) == 0) return RandomBytes(random.Next(0, 2000));
        if (random.Next(40) == 0) return Encoding.UTF8.GetBytes(new string('x', BodyLimit + random.Next(1, 4096))); // over the limit
        var type = contentType ?? "";
        if (type.StartsWith("multipart", StringComparison.Ordinal)) return Multipart();
        if (type.Contains("json", StringComparison.Ordinal)) return Json();
        return Form();
    }

    private byte[] Form()
    {
        var pairs = Enumerable.Range(0, random.Next(0, 6)).Select(_ =>
            $"{Uri.EscapeDataString(Pick(Fields))}={(random.Next(10) == 0 ? "%zz%ff" : Uri.EscapeDataString(Truncated(Pick(Values), 20_000)))}");
        return Encoding.UTF8.GetBytes(string.Join("&", pairs));
    }

    private byte[] Multipart()
    {
        var body = new StringBuilder();
        foreach (var _ in Enumerable.Range(0, random.Next(0, 5)))
            body.Append($"--FuzzBoundary\r\nContent-Disposition: form-data; name=\"{Pick(Fields)}\"\r\n\r\n{Truncated(Pick(Values), 10_000)}\r\n");
        if (random.Next(4) != 0) body.Append("--FuzzBoundary--\r\n"); // else: never closed
        return Encoding.UTF8.GetBytes(body.ToString());
    }

    private byte[] Json()
    {
        switch (random.Next(12))
        {
            case 0: return Encoding.UTF8.GetBytes(Pick(["{", "{\"name\":", "[", "nul", "\u0000", "{\"a\":1,}", "{'name':'x'}", "{\"name\":NaN}", "\"just a string\"", "42"]));
            case 1: return Encoding.UTF8.GetBytes(new string('[', 20_000) + new string(']', 20_000)); // far deeper than allowed
            case 2: return Encoding.UTF8.GetBytes(Nested(random.Next(20, 200)));
            case 3: return [.. "{\"name\":\""u8, 0xff, 0xfe, 0xc3, .. "\",\"ask_price\":1}"u8]; // invalid UTF-8 in a string
            default:
                var members = Enumerable.Range(0, random.Next(0, 6)).Select(_ => $"{JsonSerializer.Serialize(Pick(Fields))}:{JsonValue()}");
                return Encoding.UTF8.GetBytes("{" + string.Join(",", members) + "}");
        }
    }

    private string JsonValue() => random.Next(14) switch
    {
        0 => "1e400",
        1 => "-0",
        2 => "1e-400",
        3 => "123456789012345678901234567890",
        4 => "null",
        5 => "true",
        6 => "[]",
        7 => "{}",
        8 => "\"\\u0000\"",
        9 => "\"\\ud800\"",
        10 => Nested(random.Next(2, 40)),
        11 => random.Next(-5, 5).ToString(),
        _ => JsonSerializer.Serialize(Truncated(Pick(Values), 60_000)),
    };

    private static string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    private Guid RandomGuid() => new(RandomBytes(16));

    private byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        random.NextBytes(bytes);
        return bytes;
    }

    private static void Header(List<(string, byte[])> headers, string name, string? value)
    {
        if (value is not null) headers.Add((name, Encoding.UTF8.GetBytes(value)));
    }

    private static string Truncated(string s, int max) => s.Length <= max ? s : s[..max];

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
