using static Sharedcloud.Es.Api.Tests.Jobs.MarketplaceKit;

namespace Sharedcloud.Es.Api.Tests.Jobs;

/// <summary>Two API processes on one database: machines poll and report through either, and no job goes twice.</summary>
public sealed class TwoProcessTests(MarketplaceApiFactory factory) : MarketplaceTest(factory)
{
    [Fact]
    public async Task Machines_polling_through_two_processes_drain_the_queue_once_each_job()
    {
        var second = await SecondMarketplaceNode.StartAsync(Api.ConnectionString);
        try
        {
            await Drain(second);
        }
        finally
        {
            await ((IAsyncLifetime)second).DisposeAsync(); // the factory's own disposal, which tolerates the libraries' teardown race
        }
    }

    private async Task Drain(SecondMarketplaceNode second)
    {
        var consumer = await Api.NewBetaAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "(" + string.Concat(Enumerable.Range(1, 30).Select(i => $"({i},),")) + ")");
        var providers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Api.NewAccountAsync()));
        var machines = await Task.WhenAll(providers.Select(p => p.StartMachineAsync(parallel: 2)));
        // Half the machines talk to the second process.
        var clients = providers.Select((p, i) => i % 2 == 0 ? p : second.As(p)).ToArray();

        var handed = new List<string>();
        for (var round = 0; round < 4; round++)
        {
            var polls = await Task.WhenAll(clients.Select(async (c, i) => (Client: c, Jobs: await c.PollAsync(machines[i]))));
            Assert.All(polls, p => Assert.True(p.Jobs.Count <= 2, $"a machine of capacity 2 got {p.Jobs.Count} jobs"));
            foreach (var (client, jobs) in polls)
            foreach (var job in jobs.Select(j => j!["job_uuid"]!.GetValue<string>()))
            {
                handed.Add(job);
                (await client.ReportAsync(job, ("status", "2"))).EnsureStatus(200);
                (await client.ReportAsync(job, ("status", "3"), ("output", "done\n"))).EnsureStatus(200);
            }
        }

        Assert.Equal(30, handed.Count); // capacity for 48 over the rounds: the queue is drained, each job once
        Assert.Equal(handed.Count, handed.Distinct().Count());
        var jobsNow = await second.As(consumer).JobsAsync();
        Assert.Equal(30, jobsNow.Count(j => j!["status"]!.GetValue<int>() == 3));
        var costs = jobsNow.Sum(j => j!["cost"]!.GetValue<decimal>());
        Assert.Equal(-costs, await consumer.BalanceAsync());
    }
}
