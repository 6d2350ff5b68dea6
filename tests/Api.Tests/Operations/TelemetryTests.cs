using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Instances;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Operations;

/// <summary>A host whose database connection string carries a password, to prove it never reaches the metrics.</summary>
public sealed class PasswordedApiFactory : ApiFactory
{
    public string Password { get; private set; } = "";

    protected override async Task<string> ProvideDatabaseAsync()
    {
        var connection = new NpgsqlConnectionStringBuilder(await base.ProvideDatabaseAsync());
        // The throwaway clusters trust local connections and ignore it; a container's password is real.
        connection.Password ??= "metrics-must-never-show-this-" + Guid.NewGuid().ToString("N");
        Password = connection.Password;
        return connection.ConnectionString;
    }
}

/// <summary>The Prometheus scrape endpoint and what it reports.</summary>
public sealed class TelemetryTests(PasswordedApiFactory api) : IClassFixture<PasswordedApiFactory>
{
    [Fact]
    public async Task Requests_per_route_database_time_and_appended_events_are_scraped()
    {
        // Marten's meter is static: every host in this test process adds to it, so its counters are
        // compared before and after, and can only have grown by at least this test's own events.
        var before = (await api.Anonymous().GetAsync("/metrics")).EnsureStatus(200).Body;
        var john = await api.NewAccountAsync();
        var id = (await john.CreateAsync(Body.Form, ("name", "m1"), ("ask_price", 0.5))).EnsureStatus(201).Object["uuid"]!.ToString();
        for (var i = 0; i < 3; i++) (await john.GetAsync($"{InstancesUrl}{id}/")).EnsureStatus(200);
        (await john.PatchAsync(Body.Json, $"{InstancesUrl}{id}/", ("ask_price", 0.75))).EnsureStatus(200);

        var scrape = await api.Anonymous().GetAsync("/metrics");

        scrape.EnsureStatus(200);
        var metrics = scrape.Body;
        Assert.Equal(3, Sample(metrics, "http_server_request_duration_seconds_count",
            "http_request_method=\"GET\"", "http_response_status_code=\"200\"", "http_route=\"/api/v1/instances/{id:guid}\""));
        Assert.Equal(1, Sample(metrics, "http_server_request_duration_seconds_count",
            "http_request_method=\"POST\"", "http_response_status_code=\"201\"", "http_route=\"/api/v1/instances/\""));
        foreach (var type in new[] { "account_registered", "instance_registered", "instance_price_changed" })
            Assert.True(Grown(before, metrics, "marten_event_append_events_total", $"event_type=\"{type}\"") >= 1, type);
        Assert.True(Sample(metrics, "db_client_operation_duration_seconds_count", "db_system_name=\"postgresql\"") > 0);
        Assert.DoesNotContain(api.Password, metrics);
    }

    private static double Grown(string before, string after, string name, string label) =>
        Sample(after, name, label) - (Regex.IsMatch(before, $"^{Regex.Escape(name)}\\{{.*{Regex.Escape(label)}", RegexOptions.Multiline)
            ? Sample(before, name, label) : 0);

    /// <summary>The sum of every sample of a metric whose labels include all the given ones.</summary>
    private static double Sample(string metrics, string name, params string[] labels)
    {
        var matches = Regex.Matches(metrics, $@"^{Regex.Escape(name)}\{{(?<labels>.*)\}} (?<value>\S+)$", RegexOptions.Multiline)
            .Where(m => labels.All(m.Groups["labels"].Value.Contains))
            .ToList();
        Assert.True(matches.Count > 0, $"No sample of {name} with {string.Join(", ", labels)} in:\n{metrics}");
        return matches.Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>A host in the Production environment with no telemetry settings.</summary>
public sealed class ProductionApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
    }
}

public sealed class ProductionTelemetryTests(ProductionApiFactory api) : IClassFixture<ProductionApiFactory>
{
    [Fact]
    public async Task In_production_the_scrape_endpoint_is_off_unless_configured()
    {
        (await api.Anonymous().GetAsync("/metrics")).EnsureStatus(404);
        (await api.Anonymous().GetAsync("/health/ready")).EnsureStatus(200);
    }
}
