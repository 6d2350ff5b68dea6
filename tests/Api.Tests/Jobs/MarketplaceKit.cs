using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Jobs;

/// <summary>The API with the marketplace's settings: accounts whose email starts with "beta" may run at a zero balance.</summary>
public class MarketplaceApiFactory : ApiFactory
{
    public const string ExemptPrefix = "beta";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Billing:ExemptEmailPrefixes:0", ExemptPrefix);
    }

    private readonly System.Collections.Concurrent.ConcurrentBag<ApiClient> _consumers = [];

    /// <summary>
    /// An account that may start runs without a balance (production's beta accounts). The queue is the whole database's,
    /// so a test's leftover jobs would reach the next test's machines: <see cref="LeaveAsync"/> deletes these accounts,
    /// and their jobs with them.
    /// </summary>
    public async Task<ApiClient> NewBetaAccountAsync()
    {
        var client = await NewAccountAsync(ExemptPrefix + Guid.NewGuid().ToString("N")[..12]);
        _consumers.Add(client);
        return client;
    }

    /// <summary>Deletes the consumers made so far (each test class's tests run one after another).</summary>
    public async Task LeaveAsync()
    {
        while (_consumers.TryTake(out var consumer)) await consumer.DeleteAsync("/api/v1/users/account/");
    }
}

/// <summary>A test class of the marketplace: each test leaves no queued job behind.</summary>
public abstract class MarketplaceTest(MarketplaceApiFactory api) : IClassFixture<MarketplaceApiFactory>, IAsyncLifetime
{
    protected MarketplaceApiFactory Api { get; } = api;

    public Task InitializeAsync() => Api.LeaveAsync();

    public Task DisposeAsync() => Api.LeaveAsync();
}

/// <summary>The consumers' and providers' calls, as the official client makes them (form bodies).</summary>
public static class MarketplaceKit
{
    public const string Python36 = "24b3a0f8-c405-4928-954f-d5c93273f88a", Python36Path = "sharedcloud/web-crawling-python36:latest";
    public const string Python36Gpu = "23ca880b-94fe-472c-b9cf-934ed8295872", Python36GpuPath = "sharedcloud/tensorflow-gpu-python36:latest";
    public const string Python27 = "a8e496b2-ab15-40ee-a1bf-3a28d7a8a2c3", Python27Path = "sharedcloud/web-crawling-python27:latest";
    public const string Node8 = "1a5111c1-17ee-459f-a4da-9c5272d86b1d", Node8Path = "sharedcloud/standard-node8:latest";
    public const string TitanV = "caf0daeb-ba23-4499-b4f9-8b4965714366", TeslaK80 = "015ecae7-0715-4139-9d26-b0fccd0a3f31";
    public const string Gtx1080Ti = "df7d2cbd-b0e8-4aa3-b82c-9ed6310adeab";

    public const string HelloCode = "import time\n\ndef handler(event):\n    print(\"Hello World {}\".format(event[0]))\n    return 42";

    public static string Uuid(JsonNode node) => node["uuid"]!.GetValue<string>();

    public static async Task<string> CreateFunctionAsync(this ApiClient client, string image = Python36, string code = HelloCode,
        string name = "hello") =>
        Uuid((await client.PostFormAsync("/api/v1/functions/", ("name", name), ("image", image), ("code", code))).EnsureStatus(201).Object);

    public static async Task<JsonObject> CreateRunAsync(this ApiClient client, string function, string parameters = "((1,),(2,),(3,))",
        string bid = "2.0", string? baseGpu = null)
    {
        var fields = new List<(string, string)> { ("function", function), ("parameters", parameters), ("bid_price", bid) };
        if (baseGpu is not null) fields.Add(("base_gpu", baseGpu));
        return (await client.PostFormAsync("/api/v1/runs/", [.. fields])).EnsureStatus(201).Object;
    }

    /// <summary>A provider's instance, started, with <paramref name="image"/> installed.</summary>
    public static async Task<string> StartMachineAsync(this ApiClient provider, string ask = "1.5", int parallel = 3,
        string imagePath = Python36Path, string? gpu = null)
    {
        var fields = new List<(string, string)> { ("name", "machine"), ("ask_price", ask), ("max_num_parallel_jobs", parallel.ToString()) };
        if (gpu is not null) fields.AddRange([("type", "2"), ("gpu", gpu)]);
        var id = Uuid(await provider.CreateInstanceAsync([.. fields]));
        (await provider.SendFormAsync(HttpMethod.Patch, $"/api/v1/instances/{id}/add-image/", ("image_registry_path", imagePath))).EnsureStatus(200);
        (await provider.SendFormAsync(HttpMethod.Patch, $"/api/v1/instances/{id}/start/")).EnsureStatus(200);
        return id;
    }

    public static async Task<JsonArray> PollAsync(this ApiClient provider, string instance) =>
        (await provider.GetAsync($"/api/v1/instances/{instance}/get-jobs/")).EnsureStatus(200).Array;

    public static Task<Reply> ReportAsync(this ApiClient provider, string job, params (string Key, string Value)[] fields) =>
        provider.SendFormAsync(HttpMethod.Patch, $"/api/v1/jobs/{job}/", fields);

    public static async Task<JsonArray> JobsAsync(this ApiClient consumer) =>
        (await consumer.GetAsync("/api/v1/jobs/")).EnsureStatus(200).Array;

    public static async Task<decimal> BalanceAsync(this ApiClient client) =>
        (await client.GetAsync("/api/v1/users/account/")).EnsureStatus(200).Object["balance"]!.GetValue<decimal>();

    /// <summary>What a container printed and how it ended.</summary>
    public sealed record Execution(int ExitCode, string Stdout, string Stderr);

    /// <summary>An interpreter of this machine for a runtime (python36: python3, python27: Python 2.7, node8: node), or null.</summary>
    public static string? Interpreter(string runtime) => runtime switch
    {
        "python36" => Which("python3"),
        "python27" => File.Exists("/root/.pyenv/versions/2.7.18/bin/python2.7") ? "/root/.pyenv/versions/2.7.18/bin/python2.7" : Which("python2.7"),
        "node8" => Which("node"),
        _ => null,
    };

    /// <summary>Runs a job's wrapped_code as the image would (<c>python -c "$CODE"</c>, <c>node -e "$CODE"</c>).</summary>
    public static async Task<Execution> ExecuteAsync(string runtime, string wrappedCode)
    {
        var interpreter = Interpreter(runtime) ?? throw new InvalidOperationException($"no interpreter for {runtime}");
        var info = new ProcessStartInfo(interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(runtime == "node8" ? "-e" : "-c");
        info.ArgumentList.Add(wrappedCode);
        info.Environment["PYTHONIOENCODING"] = "utf-8";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Execution(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The official client's child process for one job: IN_PROGRESS, run it, report the outcome.</summary>
    public static async Task<Execution> RunJobAsync(this ApiClient provider, JsonNode payload, string runtime)
    {
        var job = payload["job_uuid"]!.GetValue<string>();
        (await provider.ReportAsync(job, ("status", "2"))).EnsureStatus(200);
        var run = await ExecuteAsync(runtime, payload["wrapped_code"]!.GetValue<string>());
        (await provider.ReportAsync(job, ("build_logs", "Pulling from sharedcloud"), ("output", run.Stdout), ("error", run.Stderr),
            ("status", run.ExitCode == 0 ? "3" : "4"))).EnsureStatus(200);
        return run;
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(dir => Path.Combine(dir, name))
        .FirstOrDefault(path => File.Exists(path) && !path.Contains("/.pyenv/shims/"));
}

/// <summary>A second API process (host) on another marketplace factory's database.</summary>
public sealed class SecondMarketplaceNode(string database) : MarketplaceApiFactory
{
    protected override Task<string> ProvideDatabaseAsync() => Task.FromResult(database);

    public static async Task<SecondMarketplaceNode> StartAsync(string database)
    {
        var node = new SecondMarketplaceNode(database);
        await ((IAsyncLifetime)node).InitializeAsync();
        return node;
    }

    /// <summary>The same account (its key) talking to this process.</summary>
    public ApiClient As(ApiClient account)
    {
        var http = NewHttpClient();
        http.DefaultRequestHeaders.Authorization = account.Http.DefaultRequestHeaders.Authorization;
        return new ApiClient(http) { Username = account.Username, Password = account.Password, Key = account.Key };
    }
}
