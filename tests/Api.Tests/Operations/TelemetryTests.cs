using System.Text.RegularExpressions;
using System.Net.Http.Headers;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Faults;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Instances;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Operations;

/// <summary>
/// The API as a real process (as deployed: one host per process; in-process test hosts share the
/// static meters and listeners), in Production with the scrape endpoint turned on, over a database
/// whose connection string carries a password, to prove it never reaches the metrics.
/// </summary>
public sealed class TelemetryProcess : IAsyncLifetime
{
    public ApiProcess Api { get; private set; } = null!;
    public string Password { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var connection = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync("telemetry"));
        // The throwaway clusters trust local connections and ignore it; a container's password is real.
        connection.Password ??= "metrics-must-never-show-this-" + Guid.NewGuid().ToString("N");
        Password = connection.Password;
        Api = await ApiProcess.StartAsync(connection.ConnectionString, ("Telemetry:Prometheus", "true"));
    }

    public async Task DisposeAsync() => await Api.DisposeAsync();

    public async Task<ApiClient> NewAccountAsync()
    {
        var username = "user" + Guid.NewGuid().ToString("N")[..12];
        const string password = "a-long-enough-passphrase";
        var anonymous = Anonymous();
        (await anonymous.PostFormAsync("/api/v1/users/", ("username", username), ("email", $"{username}@example.com"),
            ("password", password))).EnsureStatus(201);
        var key = await anonymous.LogInAsync(username, password);
        var http = Api.NewHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", key);
        return new ApiClient(http) { Username = username, Password = password, Key = key };
    }

    public ApiClient Anonymous() => new(Api.NewHttpClient());
}

/// <summary>The Prometheus scrape endpoint and what it reports.</summary>
public sealed class TelemetryTests(TelemetryProcess api) : IClassFixture<TelemetryProcess>
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
        // The host is shared by this class's tests: counts are compared before and after.
        Assert.Equal(3, Grown(before, metrics, "http_server_request_duration_seconds_count",
            "http_request_method=\"GET\"", "http_response_status_code=\"200\"", "http_route=\"/api/v1/instances/{id:guid}\""));
        Assert.Equal(1, Grown(before, metrics, "http_server_request_duration_seconds_count",
            "http_request_method=\"POST\"", "http_response_status_code=\"201\"", "http_route=\"/api/v1/instances/\""));
        foreach (var type in new[] { "account_registered", "instance_registered", "instance_price_changed" })
            Assert.True(Grown(before, metrics, "marten_event_append_events_total", $"event_type=\"{type}\"") >= 1, type);
        Assert.True(Sample(metrics, "db_client_operation_duration_seconds_count", "db_system_name=\"postgresql\"") > 0);
        Assert.DoesNotContain(api.Password, metrics);
    }

    [Fact]
    public async Task Each_asynchronous_projection_reports_its_lag()
    {
        var john = await api.NewAccountAsync();
        (await john.CreateAsync(Body.Form, ("name", "lagging"), ("ask_price", 0.5))).EnsureStatus(201);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await john.GetAsync("/api/v1/analytics/marketplace/")).Headers.GetValues("X-Projection-Lag").Single() != "0")
        {
            Assert.True(DateTime.UtcNow < deadline, "The daemon did not catch up within a minute.");
            await Task.Delay(100);
        }

        // Each projection's gauge appears once its agent has reported progress: under load, another one can come later.
        string[] projections = ["market_listings:All", "price_history:All", "daily_activity:All"];
        var metrics = (await api.Anonymous().GetAsync("/metrics")).EnsureStatus(200).Body;
        while (projections.Any(p => Samples(metrics, "sharedcloud_projection_lag", [$"projection=\"{p}\""]).Count == 0))
        {
            Assert.True(DateTime.UtcNow < deadline, "A projection reported no lag within a minute.");
            await Task.Delay(200);
            metrics = (await api.Anonymous().GetAsync("/metrics")).EnsureStatus(200).Body;
        }

        Assert.Equal(0, Sample(metrics, "sharedcloud_projection_lag", "projection=\"market_listings:All\""));
        foreach (var projection in new[] { "price_history:All", "daily_activity:All" })
            Assert.True(Sample(metrics, "sharedcloud_projection_lag", $"projection=\"{projection}\"") >= 0);
    }

    private static double Grown(string before, string after, string name, params string[] labels) =>
        Sample(after, name, labels) - (Samples(before, name, labels).Any() ? Sample(before, name, labels) : 0);

    /// <summary>The sum of every sample of a metric whose labels include all the given ones.</summary>
    private static double Sample(string metrics, string name, params string[] labels)
    {
        var matches = Samples(metrics, name, labels);
        Assert.True(matches.Count > 0, $"No sample of {name} with {string.Join(", ", labels)} in:\n{metrics}");
        return matches.Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static List<Match> Samples(string metrics, string name, string[] labels) =>
        Regex.Matches(metrics, $@"^{Regex.Escape(name)}\{{(?<labels>.*)\}} (?<value>\S+)$", RegexOptions.Multiline)
            .Where(m => labels.All(m.Groups["labels"].Value.Contains))
            .ToList();
}

public sealed class ProductionTelemetryTests
{
    [Fact]
    public async Task In_production_the_scrape_endpoint_is_off_unless_configured()
    {
        await using var api = await ApiProcess.StartAsync(await TestPostgres.CreateDatabaseAsync("production"));
        var anonymous = new ApiClient(api.NewHttpClient());

        (await anonymous.GetAsync("/metrics")).EnsureStatus(404);
        (await anonymous.GetAsync("/health/ready")).EnsureStatus(200);
    }
}
