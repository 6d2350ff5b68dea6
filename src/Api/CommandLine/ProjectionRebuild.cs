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

    public static Task RebuildAllAsync(IDocumentStore store, CancellationToken ct) =>
        RebuildAsync(store, StoredProjections(store), ct);

    /// <summary>Rebuilds the named projections of <paramref name="store"/> in place, with Marten's daemon.</summary>
    public static async Task RebuildAsync(IDocumentStore store, IReadOnlyList<string> projections, CancellationToken ct)
    {
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
