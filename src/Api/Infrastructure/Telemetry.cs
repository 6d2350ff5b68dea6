using System.Diagnostics.Metrics;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>Where metrics and traces go: a Prometheus scrape endpoint and/or an OTLP collector.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>Collect metrics and traces at all (off: no OpenTelemetry listener is registered).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Serve metrics for Prometheus to scrape. Unset: on, except in Production.</summary>
    public bool? Prometheus { get; set; }

    public string PrometheusPath { get; set; } = "/metrics";

    /// <summary>
    /// An OTLP collector to push traces and metrics to, e.g. http://collector:4317. Unset: the
    /// standard OTEL_EXPORTER_OTLP_ENDPOINT variable decides; neither: nothing is pushed.
    /// </summary>
    public string? OtlpEndpoint { get; set; }
}

/// <summary>
/// Metrics and traces with OpenTelemetry: requests per route (ASP.NET Core), database commands
/// and connections (Npgsql), events appended (Marten), messages (Wolverine), runtime, and how far
/// each asynchronous projection is behind the event log.
/// </summary>
public static class Telemetry
{
    public const string ServiceName = "sharedcloud-es";
    public const string MeterName = "Sharedcloud.Es";

    private static readonly string[] Sources = ["Marten", "Wolverine"];

    public static void AddTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new();
        builder.Services.AddSingleton(options);
        if (!options.Enabled) return;

        var prometheus = options.Prometheus ?? !builder.Environment.IsProduction();
        var otlp = options.OtlpEndpoint ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        builder.Services.AddSingleton<ProjectionLag>();

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation()
                    // Npgsql's byte counters and gauges are recorded on every network read and write, tagged with
                    // the pool's name (its connection string): most of the metrics' cost on a list request
                    // (bench/overhead.sh measures it). Database time and the pools' use are kept.
                    .AddView("db.client.operation.npgsql.bytes_read", MetricStreamConfiguration.Drop)
                    .AddView("db.client.operation.npgsql.bytes_written", MetricStreamConfiguration.Drop)
                    .AddView("db.client.operation.npgsql.executing", MetricStreamConfiguration.Drop)
                    .AddView("db.client.operation.npgsql.prepared_ratio", MetricStreamConfiguration.Drop)
                    .AddMeter(Sources)
                    .AddMeter(MeterName);
                // No response cache: a scrape shows the counters as they are (scrapes come seconds apart anyway).
                if (prometheus) metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (!string.IsNullOrWhiteSpace(otlp)) metrics.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
            })
            .WithTracing(tracing =>
            {
                // Spans only matter where someone collects them.
                if (string.IsNullOrWhiteSpace(otlp)) return;
                tracing.AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/health"))
                    .AddNpgsql()
                    .AddSource(Sources)
                    .AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
            });
    }

    public static void MapTelemetry(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<TelemetryOptions>();
        if (!options.Enabled || !(options.Prometheus ?? !app.Environment.IsProduction())) return;
        app.Services.GetRequiredService<ProjectionLag>();
        // For Prometheus, not for API clients: not in the OpenAPI document.
        app.MapPrometheusScrapingEndpoint(options.PrometheusPath).ExcludeFromDescription();
    }
}

/// <summary>
/// sharedcloud.projection.lag: events in the log that each asynchronous projection has not
/// processed yet, read from Marten's progress table when metrics are collected (a scrape), so it
/// costs nothing between scrapes.
/// </summary>
public sealed class ProjectionLag : IDisposable
{
    private readonly Meter _meter;

    public ProjectionLag(NpgsqlDataSource dataSource, IMeterFactory meters)
    {
        _meter = meters.Create(Telemetry.MeterName);
        _meter.CreateObservableGauge("sharedcloud.projection.lag", () => Read(dataSource), unit: "{event}",
            description: "Events appended that an asynchronous projection has not processed yet.");
    }

    private static IEnumerable<Measurement<long>> Read(NpgsqlDataSource dataSource)
    {
        var measurements = new List<Measurement<long>>();
        try
        {
            using var command = dataSource.CreateCommand(
                $"""
                 select p.name, greatest((select coalesce(max(seq_id), 0) from {MartenConfiguration.Schema}.mt_events) - p.last_seq_id, 0)
                 from {MartenConfiguration.Schema}.mt_event_progression p where p.name <> 'HighWaterMark'
                 """);
            command.CommandTimeout = 2;
            using var reader = command.ExecuteReader();
            while (reader.Read())
                measurements.Add(new Measurement<long>(reader.GetInt64(1), new KeyValuePair<string, object?>("projection", reader.GetString(0))));
        }
        catch (NpgsqlException)
        {
            // Database away (or not migrated yet): no reading this time; the scrape still answers.
        }
        return measurements;
    }

    public void Dispose() => _meter.Dispose();
}
