using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Jobs.MarketplaceKit;

namespace Sharedcloud.Es.Api.Tests.Jobs;

/// <summary>Machines that go away never strand a job; deletions wait for running jobs; dispatch's matching rules.</summary>
public sealed class LostMachineTests(MarketplaceApiFactory factory) : MarketplaceTest(factory)
{
    [Fact]
    public async Task A_stopped_instance_gives_its_jobs_back_and_its_late_reports_are_404()
    {
        var consumer = await Api.NewBetaAccountAsync();
        var provider = await Api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "((1,),(2,))");
        var machine = await provider.StartMachineAsync(parallel: 2);
        var jobs = (await provider.PollAsync(machine)).Select(p => p!["job_uuid"]!.GetValue<string>()).ToArray();
        (await provider.ReportAsync(jobs[0], ("status", "2"))).EnsureStatus(200);

        var stopped = (await provider.SendFormAsync(HttpMethod.Patch, $"/api/v1/instances/{machine}/stop/")).EnsureStatus(200).Object;
        Assert.Equal(0, stopped["num_running_jobs"]!.GetValue<int>());
        Assert.Equal(0, stopped["num_assigned_jobs"]!.GetValue<int>());
        Assert.All(await consumer.JobsAsync(), j =>
        {
            Assert.Equal(1, j!["status"]!.GetValue<int>());
            Assert.Null(j["instance"]);
            Assert.Null(j["started_at"]);
        });
        (await provider.ReportAsync(jobs[0], ("status", "3"))).EnsureStatus(404);
        Assert.Equal(0, await consumer.BalanceAsync());

        var other = await (await Api.NewAccountAsync()).StartMachineAsync(parallel: 5);
        var otherProvider = await Api.NewAccountAsync();
        var second = await otherProvider.StartMachineAsync(parallel: 5);
        Assert.Equal(jobs.Order(), (await otherProvider.PollAsync(second)).Select(p => p!["job_uuid"]!.GetValue<string>()).Order());
        Assert.NotEmpty(other);
        Assert.Contains("job_released",
            (await consumer.GetAsync($"/api/v1/jobs/{jobs[0]}/events/")).Array.Select(e => e!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_deleted_instance_gives_its_held_jobs_back_and_its_finished_jobs_keep_its_uuid()
    {
        var consumer = await Api.NewBetaAccountAsync();
        var provider = await Api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "((1,),(2,),(3,))");
        var machine = await provider.StartMachineAsync(parallel: 3);
        var jobs = (await provider.PollAsync(machine)).Select(p => p!["job_uuid"]!.GetValue<string>()).ToArray();
        Assert.Equal(3, jobs.Length);
        (await provider.ReportAsync(jobs[0], ("status", "2"))).EnsureStatus(200);
        (await provider.ReportAsync(jobs[0], ("status", "3"), ("output", "ok"))).EnsureStatus(200);
        (await provider.ReportAsync(jobs[1], ("status", "2"))).EnsureStatus(200); // running; jobs[2] only assigned
        var billed = await consumer.BalanceAsync();

        (await provider.DeleteAsync($"/api/v1/instances/{machine}/")).EnsureStatus(204);

        var finished = (await consumer.GetAsync($"/api/v1/jobs/{jobs[0]}/")).EnsureStatus(200).Object;
        Assert.Equal(3, finished["status"]!.GetValue<int>());
        Assert.Equal(machine, finished["instance"]!.GetValue<string>());
        foreach (var job in jobs[1..])
        {
            var back = (await consumer.GetAsync($"/api/v1/jobs/{job}/")).EnsureStatus(200).Object;
            Assert.Equal(1, back["status"]!.GetValue<int>());
            Assert.Null(back["instance"]);
            (await provider.ReportAsync(job, ("status", "5"))).EnsureStatus(404);
        }
        Assert.Equal(billed, await consumer.BalanceAsync()); // nobody is billed for the jobs it gave back

        var other = await Api.NewAccountAsync();
        var otherMachine = await other.StartMachineAsync(parallel: 3);
        Assert.Equal(jobs[1..].Order(), (await other.PollAsync(otherMachine)).Select(p => p!["job_uuid"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task A_deleted_consumers_jobs_go_with_it_whatever_their_status_and_are_never_handed_out()
    {
        var consumer = await Api.NewBetaAccountAsync();
        var provider = await Api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "((1,),(2,),(3,),(4,))");
        var machine = await provider.StartMachineAsync(parallel: 2);
        var jobs = (await provider.PollAsync(machine)).Select(p => p!["job_uuid"]!.GetValue<string>()).ToArray();
        (await provider.ReportAsync(jobs[0], ("status", "2"))).EnsureStatus(200);
        var earned = await provider.BalanceAsync();

        (await consumer.DeleteAsync("/api/v1/users/account/")).EnsureStatus(204);

        // The running job is gone: its machine's next report is 404, and its capacity is free again.
        (await provider.ReportAsync(jobs[0], ("status", "3"), ("output", "late"))).EnsureStatus(404);
        (await provider.ReportAsync(jobs[1], ("status", "2"))).EnsureStatus(404);
        var instance = (await provider.GetAsync($"/api/v1/instances/{machine}/")).EnsureStatus(200).Object;
        Assert.Equal(0, instance["num_running_jobs"]!.GetValue<int>());
        Assert.Equal(0, instance["num_assigned_jobs"]!.GetValue<int>());
        Assert.Equal(earned, await provider.BalanceAsync()); // nobody is billed for an unfinished job

        // Its two queued jobs are never handed out, to this machine or any other.
        Assert.Empty(await provider.PollAsync(machine));
        var other = await Api.NewAccountAsync();
        Assert.Empty(await other.PollAsync(await other.StartMachineAsync(parallel: 4)));
    }

    [Fact]
    public async Task A_providers_own_runs_reach_its_own_machines()
    {
        var both = await Api.NewBetaAccountAsync();
        var run = Uuid(await both.CreateRunAsync(await both.CreateFunctionAsync(), "((1,),)"));
        var machine = await both.StartMachineAsync(parallel: 1);
        var job = (await both.PollAsync(machine)).Single()!["job_uuid"]!.GetValue<string>();
        (await both.ReportAsync(job, ("status", "2"))).EnsureStatus(200);
        var done = (await both.ReportAsync(job, ("status", "3"), ("output", "ok"))).EnsureStatus(200).Object;
        Assert.Equal(run, done["run"]!.GetValue<string>());
        Assert.Equal(machine, done["instance"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deletions_wait_for_running_jobs_and_free_the_capacity_of_assigned_ones()
    {
        var consumer = await Api.NewBetaAccountAsync();
        var provider = await Api.NewAccountAsync();
        var function = await consumer.CreateFunctionAsync();
        var run = Uuid(await consumer.CreateRunAsync(function, "((1,),(2,))"));
        var machine = await provider.StartMachineAsync(parallel: 2);
        var jobs = (await provider.PollAsync(machine)).Select(p => p!["job_uuid"]!.GetValue<string>()).ToArray();
        (await provider.ReportAsync(jobs[0], ("status", "2"))).EnsureStatus(200);

        const string waiting = """{"detail":"This has jobs in progress. Please wait until they are finished"}""";
        (await consumer.DeleteAsync($"/api/v1/runs/{run}/")).Is(400, waiting);
        (await consumer.DeleteAsync($"/api/v1/functions/{function}/")).Is(400, waiting);
        Assert.Equal(2, (await consumer.JobsAsync()).Count);

        (await provider.ReportAsync(jobs[0], ("status", "3"), ("output", "ok"))).EnsureStatus(200);
        (await consumer.DeleteAsync($"/api/v1/runs/{run}/")).EnsureStatus(204); // the other job was only assigned
        var instance = (await provider.GetAsync($"/api/v1/instances/{machine}/")).Object;
        Assert.Equal(0, instance["num_assigned_jobs"]!.GetValue<int>());
        Assert.Equal(0, instance["num_running_jobs"]!.GetValue<int>());
        (await provider.ReportAsync(jobs[1], ("status", "2"))).EnsureStatus(404);
    }

    [Fact]
    public async Task Dispatch_honours_images_prices_gpus_and_capacity()
    {
        var consumer = await Api.NewBetaAccountAsync();
        var cheap = Uuid(await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "((1,),)", bid: "1.79"));
        var node = Uuid(await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(Node8, "function handler(event) { return 1; }"), "((1,),)", bid: "5"));
        var fair = Uuid(await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "((1,),(2,),(3,))", bid: "1.8"));

        var provider = await Api.NewAccountAsync();
        var machine = await provider.StartMachineAsync(ask: "1.5", parallel: 2); // consumer price 1.8
        var handed = await provider.PollAsync(machine);
        var runs = await Task.WhenAll(handed.Select(async p =>
            (await consumer.GetAsync($"/api/v1/jobs/{p!["job_uuid"]!.GetValue<string>()}/")).Object["run"]!.GetValue<string>()));
        Assert.Equal([fair, fair], runs); // the 1.79 bid is below 1.5 x 1.2; node8 is not installed; capacity 2
        Assert.Equal(2, (await provider.PollAsync(machine)).Count);
        Assert.DoesNotContain(cheap, runs);
        Assert.DoesNotContain(node, runs);

        // A GPU run needs a GPU at least as strong as its base.
        var weakOwner = await Api.NewAccountAsync();
        var weak = await weakOwner.StartMachineAsync(ask: "0.1", parallel: 1, imagePath: Python36GpuPath, gpu: Gtx1080Ti);
        var strongOwner = await Api.NewAccountAsync();
        var strong = await strongOwner.StartMachineAsync(ask: "0.1", parallel: 1, imagePath: Python36GpuPath, gpu: TitanV);
        var gpuRun = Uuid(await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(Python36Gpu), "((1,),)", bid: "5", baseGpu: TeslaK80));
        Assert.Empty(await weakOwner.PollAsync(weak)); // 3584 CUDA cores, the base needs 4992
        var gpuJobs = await strongOwner.PollAsync(strong);
        Assert.Single(gpuJobs);
        Assert.True(gpuJobs[0]!["requires_gpu"]!.GetValue<bool>());
        Assert.Equal(gpuRun, (await consumer.GetAsync($"/api/v1/jobs/{gpuJobs[0]!["job_uuid"]!.GetValue<string>()}/")).Object["run"]!.GetValue<string>());
    }

    [Fact]
    public async Task Concurrent_polls_never_hand_a_job_twice_nor_exceed_capacity()
    {
        var consumer = await Api.NewBetaAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(),
            "(" + string.Concat(Enumerable.Range(1, 40).Select(i => $"({i},),")) + ")");
        var providers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Api.NewAccountAsync()));
        var machines = await Task.WhenAll(providers.Select(p => p.StartMachineAsync(parallel: 7)));

        // Every machine polls five times at once with the others.
        var polls = await Task.WhenAll(providers.SelectMany((p, i) => Enumerable.Range(0, 5).Select(async _ =>
            (Machine: i, Jobs: (await p.PollAsync(machines[i])).Select(j => j!["job_uuid"]!.GetValue<string>()).ToArray()))));
        var byMachine = polls.GroupBy(p => p.Machine).ToDictionary(g => g.Key, g => g.SelectMany(p => p.Jobs).Distinct().ToArray());
        Assert.All(byMachine.Values, held => Assert.Equal(7, held.Length));
        var all = byMachine.Values.SelectMany(j => j).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
        var jobs = await consumer.JobsAsync();
        Assert.Equal(28, jobs.Count(j => j!["instance"] is not null));
        foreach (var (i, held) in byMachine)
            Assert.Equal(7, (await providers[i].GetAsync($"/api/v1/instances/{machines[i]}/")).Object["num_assigned_jobs"]!.GetValue<int>());
    }
}
