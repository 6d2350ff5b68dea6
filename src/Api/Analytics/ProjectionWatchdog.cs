using JasperFx;
using JasperFx.Events.Daemon;

namespace Sharedcloud.Es.Api.Analytics;

/// <summary>
/// Starts again the asynchronous projections' agents that stopped in this process. The daemon stops an agent, rather
/// than pausing it, when another process moved its progress underneath it (a rebuild swapped its read model in,
/// <see cref="CommandLine.LiveRebuild"/>): the agent's batch then wrote nothing, and it stays registered but stopped,
/// so its coordinator never restarts it and, holding the shard's lock, no other process takes it over. Started again,
/// it carries on from the progress that is stored.
/// </summary>
public sealed class ProjectionWatchdog(IServiceProvider services, IConfiguration configuration, ILogger<ProjectionWatchdog> logger)
    : BackgroundService
{
    public const string IntervalKey = "Projections:WatchdogInterval";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue(IntervalKey, TimeSpan.FromSeconds(5));
        if (services.GetService<IProjectionCoordinator>() is not { } coordinator || interval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var daemon = coordinator.DaemonForMainDatabase();
                foreach (var agent in daemon.CurrentAgents().Where(a => a.Status == AgentStatus.Stopped).ToList())
                {
                    if (daemon.IsRebuilding(agent.Name)) continue;
                    logger.LogWarning("The projection agent {Shard} had stopped ({Failure}); starting it again from its stored progress",
                        agent.Name.Identity, agent.Failure?.Category.ToString() ?? "no failure recorded");
                    await daemon.StartAgentAsync(agent.Name, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "The projection watchdog could not look at the agents; trying again in {Interval}", interval);
            }
        }
    }
}
