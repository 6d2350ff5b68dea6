using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Jobs.MarketplaceKit;

namespace Sharedcloud.Es.Api.Tests.Jobs;

/// <summary>A consumer and a provider who never met: the provider's whole loop over HTTP, the code run for real.</summary>
public sealed class ProviderLoopTests(MarketplaceApiFactory factory) : MarketplaceTest(factory)
{
    [Fact]
    public async Task A_run_is_dispatched_executed_reported_and_billed()
    {
        var consumer = await Api.NewBetaAccountAsync();
        var provider = await Api.NewAccountAsync();
        var function = await consumer.CreateFunctionAsync();
        var run = await consumer.CreateRunAsync(function);
        Assert.Equal(3, run["num_jobs"]!.GetValue<int>());
        Assert.Equal(["CREATED", "CREATED", "CREATED"], (await consumer.JobsAsync()).Select(j => Status(j!["status"]!.GetValue<int>())));

        var machine = await provider.StartMachineAsync(ask: "1.5", parallel: 3);
        var payloads = await provider.PollAsync(machine);
        Assert.Equal(3, payloads.Count);
        Assert.All(payloads, p =>
        {
            Assert.Equal(Python36Path, p!["image_registry_path"]!.GetValue<string>());
            Assert.False(p["requires_gpu"]!.GetValue<bool>());
        });
        var instance = (await provider.GetAsync($"/api/v1/instances/{machine}/")).Object;
        Assert.Equal(3, instance["num_assigned_jobs"]!.GetValue<int>());
        Assert.Equal(payloads.Select(p => p!["job_uuid"]!.GetValue<string>()).Order(),
            (await provider.PollAsync(machine)).Select(p => p!["job_uuid"]!.GetValue<string>()).Order()); // unstarted: answered again

        foreach (var payload in payloads) await provider.RunJobAsync(payload!, "python36");

        var jobs = await consumer.JobsAsync();
        Assert.Equal([2, 1, 0], jobs.Select(j => j!["incremental_id"]!.GetValue<int>()));
        Assert.All(jobs, j =>
        {
            Assert.Equal(3, j!["status"]!.GetValue<int>());
            Assert.Equal("42", j["result"]!.GetValue<string>());
            Assert.Equal("Pulling from sharedcloud", j["build_logs"]!.GetValue<string>());
            Assert.Equal(machine, j["instance"]!.GetValue<string>());
            Assert.True(j["duration"]!.GetValue<long>() >= 1);
            Assert.True(j["cost"]!.GetValue<decimal>() > 0);
        });
        Assert.Equal(["Hello World 3\n", "Hello World 2\n", "Hello World 1\n"], jobs.Select(j => j!["stdout"]!.GetValue<string>()));

        var cost = jobs.Sum(j => j!["cost"]!.GetValue<decimal>());
        Assert.Equal(-cost, await consumer.BalanceAsync());
        var earned = await provider.BalanceAsync();
        Assert.True(earned > 0 && earned < cost);
        instance = (await provider.GetAsync($"/api/v1/instances/{machine}/")).Object;
        Assert.Equal(0, instance["num_assigned_jobs"]!.GetValue<int>());
        Assert.Equal(0, instance["num_running_jobs"]!.GetValue<int>());
        Assert.Empty(await provider.PollAsync(machine));

        // Time travel over a job's stream: created, assigned, started, finished.
        var job = Uuid(jobs[0]!);
        var assigned = (await consumer.GetAsync($"/api/v1/jobs/{job}/?version=2")).EnsureStatus(200).Object;
        Assert.Equal((1, machine), (assigned["status"]!.GetValue<int>(), assigned["instance"]!.GetValue<string>()));
        Assert.Equal(2, (await consumer.GetAsync($"/api/v1/jobs/{job}/?version=3")).Object["status"]!.GetValue<int>());
        Assert.Equal("\"2\"", (await consumer.GetAsync($"/api/v1/jobs/{job}/?version=2")).Headers.ETag!.Tag);
        (await consumer.GetAsync($"/api/v1/jobs/{job}/?version=5")).EnsureStatus(404);
        (await provider.GetAsync($"/api/v1/jobs/{job}/?version=1")).EnsureStatus(404);
        Assert.Equal(3, (await consumer.GetAsync($"/api/v1/runs/{Uuid(run)}/?version=1")).EnsureStatus(200).Object["num_jobs"]!.GetValue<int>());
        (await consumer.GetAsync($"/api/v1/runs/{Uuid(run)}/?version=2")).EnsureStatus(404);
        Assert.Equal("hello", (await consumer.GetAsync($"/api/v1/functions/{function}/?at=2100-01-01")).EnsureStatus(200).Object["name"]!.GetValue<string>());
    }

    private static string Status(int status) => status switch { 1 => "CREATED", 2 => "IN_PROGRESS", 3 => "SUCCEEDED", 4 => "FAILED", _ => "TIMEOUT" };
}

/// <summary>A fact that needs this machine's interpreter of a runtime: skipped (and reported so) where there is none.</summary>
public sealed class RuntimeFactAttribute : FactAttribute
{
    public RuntimeFactAttribute(string runtime)
    {
        if (MarketplaceKit.Interpreter(runtime) is null) Skip = $"no interpreter for {runtime} on this machine";
    }
}

/// <summary>The other runtimes' wrapped code, run for real and reported back over HTTP.</summary>
public sealed class RuntimeLoopTests(MarketplaceApiFactory factory) : MarketplaceTest(factory)
{
    private async Task RunsAndReports(string image, string imagePath, string runtime, string code)
    {
        var consumer = await Api.NewBetaAccountAsync();
        var provider = await Api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(image, code), "((1, 'é'), (2, 'ü'))");
        var machine = await provider.StartMachineAsync(parallel: 2, imagePath: imagePath);
        var payloads = await provider.PollAsync(machine);
        Assert.Equal(2, payloads.Count);
        foreach (var payload in payloads) Assert.Equal(0, (await provider.RunJobAsync(payload!, runtime)).ExitCode);

        var jobs = await consumer.JobsAsync();
        Assert.Equal(["2:ü", "1:é"], jobs.Select(j => j!["result"]!.GetValue<string>()));
        Assert.Equal(["printed 2\n", "printed 1\n"], jobs.Select(j => j!["stdout"]!.GetValue<string>()));
        Assert.All(jobs, j => Assert.Equal(3, j!["status"]!.GetValue<int>()));
    }

    [RuntimeFact("python27")]
    public Task Python_27_code_runs_and_its_result_comes_back() =>
        RunsAndReports(MarketplaceKit.Python27, MarketplaceKit.Python27Path, "python27",
            "# -*- coding: utf-8 -*-\ndef handler(event):\n    print('printed %d' % event[0])\n    return u'%d:%s' % (event[0], event[1])\n");

    [RuntimeFact("node8")]
    public Task Node_code_runs_and_its_promised_result_comes_back() =>
        RunsAndReports(MarketplaceKit.Node8, MarketplaceKit.Node8Path, "node8",
            "function handler(event) {\n  console.log('printed ' + event[0]);\n  return Promise.resolve(event[0] + ':' + event[1]);\n}\n");
}
