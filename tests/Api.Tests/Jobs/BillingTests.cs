using Sharedcloud.Es.Api.Tests.Analytics;
using Sharedcloud.Es.Api.Tests.CommandLine;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Jobs.MarketplaceKit;

namespace Sharedcloud.Es.Api.Tests.Jobs;

/// <summary>Money: the operator's credit, the balance rule, and the daily billing read model.</summary>
public sealed class BillingTests(MarketplaceApiFactory factory) : MarketplaceTest(factory)
{
    [Fact]
    public async Task An_operators_credit_is_an_event_by_system_and_lets_the_account_run()
    {
        var consumer = await Api.NewAccountAsync();
        var function = await consumer.CreateFunctionAsync();
        (await consumer.PostFormAsync("/api/v1/runs/", ("function", function), ("parameters", "((1,),)"), ("bid_price", "2"))).EnsureStatus(400);

        var credit = await CommandLineRunner.RunAsync(Api.ConnectionString, "credit", "--username", consumer.Username, "--amount", "5.25");
        Assert.True(credit.ExitCode == 0, credit.ToString());
        Assert.Equal(5.25m, await consumer.BalanceAsync());
        var feed = (await consumer.GetAsync("/api/v1/audit/?type=account_credited")).EnsureStatus(200).Array;
        var credited = Assert.Single(feed);
        Assert.Null(credited!["actor"]); // the service acted
        Assert.Equal(5.25m, credited["data"]!["amount"]!.GetValue<decimal>());
        await consumer.CreateRunAsync(function, "((1,),)");

        var refused = await CommandLineRunner.RunAsync(Api.ConnectionString, "credit", "--username", consumer.Username, "--amount", "-1");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--amount", refused.Stderr);
        var unknown = await CommandLineRunner.RunAsync(Api.ConnectionString, "credit", "--username", "nobody-here", "--amount", "1");
        Assert.NotEqual(0, unknown.ExitCode);
        CommandLineRunner.AssertNoStackTrace(unknown);
        Assert.Equal(5.25m, await consumer.BalanceAsync());
        (await consumer.DeleteAsync("/api/v1/users/account/")).EnsureStatus(204); // its queued job with it
    }

    [Fact]
    public async Task The_daily_billing_shows_spending_and_earnings_that_sum_to_the_balances()
    {
        var consumer = await Api.NewBetaAccountAsync();
        var provider = await Api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "((1,),(2,))");
        var machine = await provider.StartMachineAsync(ask: "1.6", parallel: 2); // offered at 1.92, under the bid of 2
        var jobs = (await provider.PollAsync(machine)).Select(p => p!["job_uuid"]!.GetValue<string>()).ToArray();
        Assert.Equal(2, jobs.Length);
        foreach (var job in jobs) (await provider.ReportAsync(job, ("status", "2"))).EnsureStatus(200);
        foreach (var job in jobs) (await provider.ReportAsync(job, ("status", "5"))).EnsureStatus(200);

        var spent = (await consumer.CaughtUpAsync("/api/v1/analytics/billing/")).Array;
        var day = Assert.Single(spent);
        Assert.Equal(await consumer.BalanceAsync(), -day!["spent"]!.GetValue<decimal>());
        Assert.Equal(2, day["jobs_charged"]!.GetValue<int>());
        var earned = Assert.Single((await provider.CaughtUpAsync("/api/v1/analytics/billing/")).Array);
        Assert.Equal(await provider.BalanceAsync(), earned!["earned"]!.GetValue<decimal>());
        Assert.Equal(2, earned["jobs_paid"]!.GetValue<int>());
        (await consumer.GetAsync("/api/v1/analytics/billing/?since=2026-13-01")).EnsureStatus(400);

        // The consumer's feed holds the provider's reports on its jobs; the provider's, its own.
        var consumerFeed = (await consumer.GetAsync("/api/v1/audit/")).EnsureStatus(200).Array.Select(e => e!["type"]!.GetValue<string>()).ToList();
        Assert.Contains("job_finished", consumerFeed);
        Assert.Contains("account_charged", consumerFeed);
        Assert.DoesNotContain("account_paid", consumerFeed);
        var providerFeed = (await provider.GetAsync("/api/v1/audit/")).EnsureStatus(200).Array.Select(e => e!["type"]!.GetValue<string>()).ToList();
        Assert.Contains("job_assigned", providerFeed);
        Assert.Contains("account_paid", providerFeed);
        Assert.DoesNotContain("run_created", providerFeed);
    }

    [Fact]
    public async Task Events_verify_rebuilds_every_read_model_of_a_marketplace_with_jobs_held_and_billed()
    {
        var consumer = await Api.NewBetaAccountAsync();
        var provider = await Api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "((1,),(2,),(3,))");
        var machine = await provider.StartMachineAsync(parallel: 2);
        var jobs = (await provider.PollAsync(machine)).Select(p => p!["job_uuid"]!.GetValue<string>()).ToArray();
        (await provider.ReportAsync(jobs[0], ("status", "2"))).EnsureStatus(200);
        (await provider.ReportAsync(jobs[0], ("status", "3"), ("output", "ok\n"))).EnsureStatus(200);
        (await provider.ReportAsync(jobs[1], ("status", "2"))).EnsureStatus(200); // held: its counter moved in place
        await consumer.CaughtUpAsync("/api/v1/analytics/billing/");
        await consumer.CaughtUpAsync("/api/v1/analytics/activity/");
        await consumer.CaughtUpAsync("/api/v1/analytics/marketplace/");

        var result = await CommandLineRunner.RunAsync(Api.ConnectionString, "events", "verify");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Job (sharedcloud.mt_doc_job): no differences", result.Stdout);
        Assert.Matches(@"verify: every read model \((?:[5-9]|\d\d+)\) equals its rebuild", result.Stdout);
        Assert.Equal(1, (await provider.GetAsync($"/api/v1/instances/{machine}/")).Object["num_running_jobs"]!.GetValue<int>());
    }
}
