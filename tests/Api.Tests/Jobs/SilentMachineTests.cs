using Microsoft.AspNetCore.Hosting;
using Sharedcloud.Es.Api.Tests.Machine;
using static Sharedcloud.Es.Api.Tests.Jobs.MarketplaceKit;

namespace Sharedcloud.Es.Api.Tests.Jobs;

/// <summary>A host whose machines go offline after 1 s of silence, with the marketplace's exempt accounts.</summary>
public sealed class SilentMarketplaceApiFactory : ShortSilenceApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Billing:ExemptEmailPrefixes:0", MarketplaceApiFactory.ExemptPrefix);
    }
}

/// <summary>A machine that falls silent gives its jobs back when the silence check takes it offline.</summary>
public sealed class SilentMachineTests(SilentMarketplaceApiFactory api) : IClassFixture<SilentMarketplaceApiFactory>
{
    [Fact]
    public async Task A_machine_gone_offline_gives_its_held_jobs_back_as_system_and_its_late_reports_are_404()
    {
        var consumer = await api.NewAccountAsync(MarketplaceApiFactory.ExemptPrefix + Guid.NewGuid().ToString("N")[..12]);
        var provider = await api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "((1,),(2,))");
        var machine = await provider.StartMachineAsync(parallel: 2);
        var jobs = (await provider.PollAsync(machine)).Select(p => p!["job_uuid"]!.GetValue<string>()).ToArray();
        Assert.Equal(2, jobs.Length);
        (await provider.ReportAsync(jobs[0], ("status", "2"))).EnsureStatus(200); // one running, one only assigned

        await SilenceTests.WaitForEvents(api, machine, "instance_went_offline"); // no poll for over a second

        var instance = (await provider.GetAsync($"/api/v1/instances/{machine}/")).EnsureStatus(200).Object;
        Assert.Equal(0, instance["num_running_jobs"]!.GetValue<int>());
        Assert.Equal(0, instance["num_assigned_jobs"]!.GetValue<int>());
        foreach (var job in jobs)
        {
            var back = (await consumer.GetAsync($"/api/v1/jobs/{job}/")).EnsureStatus(200).Object;
            Assert.Equal(1, back["status"]!.GetValue<int>());
            Assert.Null(back["instance"]);
            var release = (await consumer.GetAsync($"/api/v1/jobs/{job}/events/")).EnsureStatus(200).Array
                .Last(e => e!["type"]!.GetValue<string>() == "job_released")!;
            Assert.Null(release["actor"]); // the service acted
        }
        (await provider.ReportAsync(jobs[0], ("status", "3"), ("output", "late"))).EnsureStatus(404);
        Assert.Equal(0, await consumer.BalanceAsync());

        var other = await api.NewAccountAsync();
        var otherMachine = await other.StartMachineAsync(parallel: 2);
        Assert.Equal(jobs.Order(), (await other.PollAsync(otherMachine)).Select(p => p!["job_uuid"]!.GetValue<string>()).Order());
    }
}
