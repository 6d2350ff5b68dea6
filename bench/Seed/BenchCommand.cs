using Sharedcloud.Es.Api.CommandLine;
using System.Diagnostics;
using System.Globalization;
using JasperFx.CommandLine;
using Marten;

namespace Sharedcloud.Es.Bench.Seed;

public enum BenchAction
{
    seed,
}

public sealed class BenchInput : NetCoreInput
{
    [Description("seed: add made-up history to the database, then rebuild the read models")]
    public BenchAction Action { get; set; }

    [Description("How many accounts sign up")]
    public int AccountsFlag { get; set; } = 100;

    [Description("How many instances they register")]
    public int InstancesFlag { get; set; } = 1000;

    [Description("How many events in all (at least accounts + instances)")]
    public long EventsFlag { get; set; } = 100_000;

    [Description("Seed of the random choices, for a repeatable history")]
    public int RandomFlag { get; set; } = 1;
}

[Description("Tools for the benchmarks in bench/: seed a database with realistic history")]
public sealed class BenchCommand : JasperFxAsyncCommand<BenchInput>
{
    public BenchCommand()
    {
        Usage("Seed the database").Arguments(x => x.Action);
    }

    public override async Task<bool> Execute(BenchInput input)
    {
        if (HistorySeed.Problem(input.AccountsFlag, input.InstancesFlag, input.EventsFlag) is { } problem)
            return EventsCommand.Fail(problem);
        using var host = input.BuildHost();
        using var cancel = CommandCancellation.OnCtrlC();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        var clock = Stopwatch.StartNew();
        var seed = new HistorySeed(input.AccountsFlag, input.InstancesFlag, input.EventsFlag, input.RandomFlag);
        var written = await ProgressBar.RunAsync("writing events", input.EventsFlag,
            progress => seed.WriteAsync(store, progress, cancel.Token));
        var appended = clock.Elapsed.TotalSeconds;
        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"wrote {written} events ({input.AccountsFlag} accounts, {input.InstancesFlag} instances) in {appended:0.0} s " +
            $"({written / Math.Max(appended, 0.001):0} events/s)"));

        clock.Restart();
        await ProjectionRebuild.RebuildAllAsync(store, cancel.Token);
        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"rebuilt the read models in {clock.Elapsed.TotalSeconds:0.0} s"));
        return true;
    }
}
