using static Sharedcloud.Es.Api.Tests.Jobs.MarketplaceKit;

namespace Sharedcloud.Es.Api.Tests.Jobs;

/// <summary>A poll answers at most 100 jobs (decided here), its unstarted ones first, whatever the machine's capacity.</summary>
public sealed class PollLimitTests(MarketplaceApiFactory factory) : MarketplaceTest(factory)
{
    [Fact]
    public async Task A_machine_with_room_for_150_gets_the_100_oldest_then_the_rest_as_it_starts_them()
    {
        var consumer = await Api.NewBetaAccountAsync();
        var provider = await Api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(),
            "(" + string.Concat(Enumerable.Range(1, 150).Select(i => $"({i},),")) + ")");
        var order = (await consumer.JobsAsync()).ToDictionary(j => Uuid(j!), j => j!["incremental_id"]!.GetValue<int>());
        var machine = await provider.StartMachineAsync(parallel: 150);

        var first = Jobs(await provider.PollAsync(machine));
        Assert.Equal(Enumerable.Range(0, 100), first.Select(j => order[j]).Order());
        Assert.Equal((100, 0), await Counters(provider, machine));
        Assert.Equal(first.Order(), Jobs(await provider.PollAsync(machine)).Order()); // answered again, nothing added

        foreach (var job in first.Take(60)) (await provider.ReportAsync(job, ("status", "2"))).EnsureStatus(200);
        var third = Jobs(await provider.PollAsync(machine));
        Assert.Equal(40 + 50, third.Count); // the 40 unstarted, and 50 new up to the capacity of 150
        Assert.Equal(first.Skip(60).Order(), third.Where(first.Contains).Order());
        Assert.Equal(Enumerable.Range(100, 50), third.Except(first).Select(j => order[j]).Order());
        Assert.Equal((90, 60), await Counters(provider, machine));
    }

    private static List<string> Jobs(System.Text.Json.Nodes.JsonArray payloads) =>
        payloads.Select(p => p!["job_uuid"]!.GetValue<string>()).ToList();

    private static async Task<(int Assigned, int Running)> Counters(Infrastructure.ApiClient provider, string machine)
    {
        var instance = (await provider.GetAsync($"/api/v1/instances/{machine}/")).EnsureStatus(200).Object;
        return (instance["num_assigned_jobs"]!.GetValue<int>(), instance["num_running_jobs"]!.GetValue<int>());
    }
}
