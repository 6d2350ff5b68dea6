using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sharedcloud.Es.Api.CommandLine;

/// <summary>Rebuilds every stored projection (inline and async) of a store from its events, with Marten's daemon.</summary>
public static class ProjectionRebuild
{
    public static IReadOnlyList<string> StoredProjections(IDocumentStore store) =>
        ((StoreOptions)store.Options).Projections.All
            .Where(p => p.Lifecycle != ProjectionLifecycle.Live)
            .Select(p => p.Name)
            .Distinct()
            .ToList();

    public static async Task RebuildAllAsync(IDocumentStore store, CancellationToken ct)
    {
        var projections = StoredProjections(store);
        using var daemon = await store.BuildProjectionDaemonAsync(logger: NullLogger.Instance);
        await ProgressBar.RunAsync("rebuilding read models", projections.Count, async progress =>
        {
            var done = 0;
            foreach (var projection in projections)
            {
                if (!ProgressBar.Shown) await Console.Error.WriteLineAsync($"rebuilding {projection}");
                await daemon.RebuildProjectionAsync(projection, TimeSpan.FromHours(1), ct);
                progress.Report(++done);
            }
            return done;
        });
        await daemon.StopAllAsync();
    }
}
