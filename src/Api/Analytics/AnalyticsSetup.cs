using JasperFx.Events.Daemon;

namespace Sharedcloud.Es.Api.Analytics;

/// <summary>
/// Whether this process runs Marten's async daemon (<c>Projections:Daemon</c>). HotCold, the
/// default: every process is a candidate and exactly one (elected through a PostgreSQL advisory
/// lock) runs the projections, another taking over when it stops. Disabled: the process only
/// serves requests; the analytics answer from what other processes have built.
/// </summary>
public static class AnalyticsSetup
{
    public const string Setting = "Projections:Daemon";

    private static readonly Dictionary<string, DaemonMode> Modes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HotCold"] = DaemonMode.HotCold,
        ["Disabled"] = DaemonMode.Disabled,
    };

    public static DaemonMode ProjectionDaemonMode(this IConfiguration configuration)
    {
        var value = configuration[Setting];
        if (string.IsNullOrWhiteSpace(value)) return DaemonMode.HotCold;
        return Modes.TryGetValue(value.Trim(), out var mode)
            ? mode
            : throw new InvalidOperationException(
                $"{Setting} (environment Projections__Daemon) must be HotCold or Disabled, not '{value}'.");
    }

    /// <summary>The readers behind the analytics endpoints.</summary>
    public static IServiceCollection AddAnalytics(this IServiceCollection services) =>
        services.AddSingleton<ProjectionProgressReader>().AddSingleton<MarketStatisticsReader>()
            .AddHostedService<ProjectionWatchdog>();
}
