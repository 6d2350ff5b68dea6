using System.Text.Json.Nodes;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Jobs.MarketplaceKit;

namespace Sharedcloud.Es.Api.Tests.Jobs;

/// <summary>PATCH /api/v1/jobs/&lt;uuid&gt;/: the machine's reports, who may send them, and what they move.</summary>
public sealed class ReportTests(MarketplaceApiFactory factory) : MarketplaceTest(factory)
{
    private const string NotFound = """{"detail":"Not found."}""";

    /// <summary>A consumer's run of <paramref name="tuples"/> jobs, handed to a fresh provider's machine.</summary>
    private async Task<(ApiClient Consumer, ApiClient Provider, string Machine, string[] Jobs)> Dispatched(int tuples = 1, string ask = "1.5")
    {
        var consumer = await Api.NewBetaAccountAsync();
        var provider = await Api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(),
            "(" + string.Concat(Enumerable.Range(1, tuples).Select(i => $"({i},),")) + ")");
        var machine = await provider.StartMachineAsync(ask: ask, parallel: tuples);
        var jobs = (await provider.PollAsync(machine)).Select(p => p!["job_uuid"]!.GetValue<string>()).ToArray();
        Assert.Equal(tuples, jobs.Length);
        return (consumer, provider, machine, jobs);
    }

    [Fact]
    public async Task Only_the_owner_of_the_instance_holding_the_job_may_report()
    {
        var (consumer, provider, _, jobs) = await Dispatched();
        var stranger = await Api.NewAccountAsync();
        (await consumer.ReportAsync(jobs[0], ("status", "2"))).Is(404, NotFound);
        (await stranger.ReportAsync(jobs[0], ("status", "2"))).Is(404, NotFound);
        (await provider.ReportAsync(Guid.NewGuid().ToString(), ("status", "2"))).Is(404, NotFound);
        var started = (await provider.ReportAsync(jobs[0], ("status", "2"), ("output", "ignored"))).EnsureStatus(200).Object;
        Assert.Equal(2, started["status"]!.GetValue<int>());
        Assert.Equal("", started["stdout"]!.GetValue<string>());
        Assert.NotNull(started["started_at"]);
    }

    [Fact]
    public async Task A_report_from_anyone_but_the_provider_is_404_whatever_its_body()
    {
        var (consumer, provider, _, jobs) = await Dispatched();
        var stranger = await Api.NewAccountAsync();
        var huge = new string('x', 1024 * 1024 + 1);
        foreach (var caller in new[] { consumer, stranger })
        {
            (await caller.ReportAsync(jobs[0], ("output", "x"))).Is(404, NotFound);
            (await caller.ReportAsync(jobs[0], ("status", "7"))).Is(404, NotFound);
            (await caller.ReportAsync(jobs[0], ("status", "3"), ("output", huge))).Is(404, NotFound);
        }
        (await provider.ReportAsync(Guid.NewGuid().ToString(), ("status", "7"))).Is(404, NotFound);

        // The provider is told what is wrong, and nothing was written meanwhile.
        (await provider.ReportAsync(jobs[0], ("status", "7"))).Is(400, """{"status":["\"7\" is not a valid choice."]}""");
        (await provider.ReportAsync(jobs[0], ("status", "3"), ("output", huge))).EnsureStatus(413);
        Assert.Equal(["job_created", "job_assigned"],
            (await consumer.GetAsync($"/api/v1/jobs/{jobs[0]}/events/")).EnsureStatus(200).Array.Select(e => e!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Reports_out_of_order_are_400_on_status_and_change_nothing()
    {
        var (consumer, provider, _, jobs) = await Dispatched();
        var job = jobs[0];
        (await provider.ReportAsync(job, ("output", "x"))).Is(400, """{"status":["This field is required."]}""");
        (await provider.ReportAsync(job, ("status", "7"))).Is(400, """{"status":["\"7\" is not a valid choice."]}""");
        (await provider.ReportAsync(job, ("status", "3"))).Is(400, """{"status":["A job that is CREATED cannot be reported SUCCEEDED."]}""");
        (await provider.ReportAsync(job, ("status", "2"))).EnsureStatus(200);
        (await provider.ReportAsync(job, ("status", "2"))).EnsureStatus(200); // said again: nothing changes
        (await provider.ReportAsync(job, ("status", "1"))).Is(400, """{"status":["A job that is IN_PROGRESS cannot be reported CREATED."]}""");
        (await provider.ReportAsync(job, ("status", "5"))).EnsureStatus(200);
        (await provider.ReportAsync(job, ("status", "3"))).Is(400, """{"status":["A job that is TIMEOUT cannot be reported SUCCEEDED."]}""");
        (await provider.ReportAsync(job, ("status", "5"))).EnsureStatus(400);
        Assert.Equal(["job_created", "job_assigned", "job_started", "job_finished"],
            (await consumer.GetAsync($"/api/v1/jobs/{job}/events/")).EnsureStatus(200).Array.Select(e => e!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Empty_text_is_accepted_nul_characters_are_dropped_and_more_than_a_mebibyte_is_413()
    {
        var (consumer, provider, _, jobs) = await Dispatched(2);
        (await provider.ReportAsync(jobs[0], ("status", "2"))).EnsureStatus(200);
        (await provider.ReportAsync(jobs[1], ("status", "2"))).EnsureStatus(200);
        (await provider.ReportAsync(jobs[0], ("status", "4"), ("build_logs", ""), ("output", "a\0b"), ("error", ""))).EnsureStatus(200);
        var failed = (await consumer.GetAsync($"/api/v1/jobs/{jobs[0]}/")).EnsureStatus(200).Object;
        Assert.Equal("ab", failed["stdout"]!.GetValue<string>());
        Assert.Equal(4, failed["status"]!.GetValue<int>());
        Assert.Equal(0, failed["cost"]!.GetValue<decimal>()); // FAILED costs nothing

        var huge = new string('é', 600 * 1024); // 1.2 MB of UTF-8
        (await provider.ReportAsync(jobs[1], ("status", "3"), ("output", huge))).EnsureStatus(413);
        Assert.Equal(2, (await consumer.GetAsync($"/api/v1/jobs/{jobs[1]}/")).Object["status"]!.GetValue<int>());
        var big = new string('x', 1024 * 1024); // exactly the limit
        (await provider.ReportAsync(jobs[1], ("status", "3"), ("output", big), ("error", big), ("build_logs", big))).EnsureStatus(200);
        Assert.Equal(big, (await consumer.GetAsync($"/api/v1/jobs/{jobs[1]}/")).Object["stdout"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_timeout_is_billed_and_balances_with_the_fees_sum_to_the_credits()
    {
        var (consumer, provider, machine, jobs) = await Dispatched(2, ask: "0.7");
        foreach (var job in jobs) (await provider.ReportAsync(job, ("status", "2"))).EnsureStatus(200);
        Assert.Equal(2, (await provider.GetAsync($"/api/v1/instances/{machine}/")).Object["num_running_jobs"]!.GetValue<int>());
        var timedOut = (await provider.ReportAsync(jobs[0], ("status", "5"), ("error", "killed"))).EnsureStatus(200).Object;
        Assert.Equal(5, timedOut["status"]!.GetValue<int>());
        Assert.Equal("killed", timedOut["stderr"]!.GetValue<string>());
        var duration = timedOut["duration"]!.GetValue<long>();
        Assert.True(duration >= 1);
        Assert.Equal(Math.Round(duration * 0.7m * 1.2m / 60, 3, MidpointRounding.AwayFromZero), timedOut["cost"]!.GetValue<decimal>());
        (await provider.ReportAsync(jobs[1], ("status", "3"), ("output", "done\n"))).EnsureStatus(200);

        var cost = (await consumer.JobsAsync()).Sum(j => j!["cost"]!.GetValue<decimal>());
        Assert.Equal(-cost, await consumer.BalanceAsync());
        var fees = await FeesAsync(jobs);
        Assert.Equal(cost, await provider.BalanceAsync() + fees);
        Assert.Equal(0, (await provider.GetAsync($"/api/v1/instances/{machine}/")).Object["num_running_jobs"]!.GetValue<int>());
    }

    private async Task<decimal> FeesAsync(string[] jobs)
    {
        await using var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select coalesce(sum((data ->> 'fee')::numeric), 0) from sharedcloud.mt_events where type = 'job_finished' and stream_id = any(@ids)",
            connection);
        command.Parameters.AddWithValue("ids", jobs.Select(Guid.Parse).ToArray());
        return (decimal)(await command.ExecuteScalarAsync())!;
    }
}
