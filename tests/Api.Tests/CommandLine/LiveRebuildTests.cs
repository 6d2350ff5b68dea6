using System.Collections.Concurrent;
using System.Net;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Jobs;
using static Sharedcloud.Es.Api.Tests.Analytics.AnalyticsKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.CommandLine;

/// <summary>
/// <c>projections rebuild</c> on a running service: two API processes on one database (both with the async daemon),
/// a client reading its instances through the first, others creating and changing instances through the second, and
/// the rebuild of every read model from the command line meanwhile.
/// </summary>
public sealed class LiveRebuildTests : IAsyncLifetime
{
    private readonly MarketplaceApiFactory _first = new();
    private SecondMarketplaceNode? _second;

    public async Task InitializeAsync()
    {
        await ((IAsyncLifetime)_first).InitializeAsync();
        _second = await SecondMarketplaceNode.StartAsync(_first.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_second is not null) await ((IAsyncLifetime)_second).DisposeAsync();
        await ((IAsyncLifetime)_first).DisposeAsync();
    }

    [Fact]
    public async Task A_rebuild_beside_live_reads_and_writes_loses_nothing_and_no_read_is_wrong()
    {
        var reader = await _first.NewAccountAsync();
        var mine = new Dictionary<string, string>();
        for (var i = 0; i < 20; i++)
        {
            var created = await reader.CreateInstanceAsync(("name", $"mine-{i}"), ("ask_price", "0.02"));
            mine[Uuid(created)] = $"mine-{i}";
        }
        var writers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _first.NewAccountAsync()));
        var priced = Uuid(await writers[0].CreateInstanceAsync(("name", "priced"), ("ask_price", "0.02")));
        await writers[0].CaughtUpAsync(PriceHistory(priced));

        var wrong = new ConcurrentQueue<string>();
        var refused = new ConcurrentQueue<string>();
        var written = new ConcurrentDictionary<string, (ApiClient Owner, string Name)>();
        var reads = 0;
        using var stop = new CancellationTokenSource();

        var reading = Task.Run(async () =>
        {
            var ids = mine.Keys.ToArray();
            while (!stop.IsCancellationRequested)
            {
                var list = await reader.GetAsync(InstancesUrl);
                if (list.Status != HttpStatusCode.OK || list.Array.Count != 20)
                    wrong.Enqueue($"list: {(int)list.Status}, {(list.Status == HttpStatusCode.OK ? list.Array.Count : 0)} instances");
                var id = ids[reads % ids.Length];
                var one = await reader.GetAsync(Url(id));
                if (one.Status != HttpStatusCode.OK || one.Object["name"]!.GetValue<string>() != mine[id])
                    wrong.Enqueue($"get {id}: {(int)one.Status} {one.Body}");
                Interlocked.Increment(ref reads);
            }
        });
        var writing = writers.Select((writer, w) => Task.Run(async () =>
        {
            var through = _second!.As(writer);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var created = await through.SendFormAsync(HttpMethod.Post, InstancesUrl, ("name", $"w{w}-{n}"), ("ask_price", "0.02"));
                if (created.Status != HttpStatusCode.Created) { refused.Enqueue($"create: {(int)created.Status} {created.Body}"); continue; }
                var id = Uuid(created.Object);
                var renamed = await through.SendFormAsync(HttpMethod.Patch, Url(id), ("name", $"w{w}-{n}-renamed"));
                if (renamed.Status != HttpStatusCode.OK) refused.Enqueue($"rename: {(int)renamed.Status} {renamed.Body}");
                written[id] = (writer, renamed.Status == HttpStatusCode.OK ? $"w{w}-{n}-renamed" : $"w{w}-{n}");
            }
        })).ToArray();

        var polledId = mine.Keys.First();
        (await reader.GetAsync(Url(polledId) + "get-jobs/")).EnsureStatus(200);

        var rebuild = await CommandLineRunner.RunAsync(_first.ConnectionString, "projections", "rebuild");
        await Task.Delay(500); // some traffic on the swapped-in tables
        await stop.CancelAsync();
        await Task.WhenAll([reading, .. writing]);

        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        Assert.Contains("beside the live service", rebuild.Stdout);
        Assert.True(reads > 20, $"only {reads} reads ran beside the rebuild");
        Assert.True(written.Count > 8, $"only {written.Count} instances were written beside the rebuild");
        Assert.Empty(wrong);
        Assert.Empty(refused);
        foreach (var (id, (owner, name)) in written)
            Assert.Equal(name, (await owner.GetAsync(Url(id))).EnsureStatus(200).Object["name"]!.GetValue<string>());

        // The swapped-in instance table keeps the live one's guard of the contact.
        await Machine.LastContactKit.AssertTheContactCannotGoBackAsync(_first.ConnectionString, polledId, mine[polledId]);

        // The analytics daemons carry on after the swap, whichever process runs them.
        (await writers[0].SendFormAsync(HttpMethod.Patch, Url(priced), ("ask_price", "0.07"))).EnsureStatus(200);
        var history = (await writers[0].CaughtUpAsync(PriceHistory(priced))).Array;
        Assert.Equal("0.07", history[^1]!["ask_price"]!.ToString());
        await writers[0].CaughtUpAsync(MarketplaceUrl);
        await writers[0].CaughtUpAsync(ActivityUrl);
        await writers[0].CaughtUpAsync("/api/v1/analytics/billing/");

        var verify = await CommandLineRunner.RunAsync(_first.ConnectionString, "events", "verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }
}
