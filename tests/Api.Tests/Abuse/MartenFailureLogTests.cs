using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Faults;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Jobs;

namespace Sharedcloud.Es.Api.Tests.Abuse;

/// <summary>The marketplace with short lock waits, logging as in production (Information) into a <see cref="LogCapture"/>.</summary>
public sealed class ProductionLogMarketplaceFactory : MarketplaceApiFactory
{
    public LogCapture Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Writes:LockTimeout", ShortLockWaitApiFactory.LockTimeout.ToString());
        builder.UseSetting("Logging:LogLevel:Default", "Information");
        builder.UseSetting("Logging:LogLevel:Marten", "Information");
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }
}

/// <summary>
/// A failed statement that the API answers for (a conflict that becomes 409, a request whose client hung up) is not
/// logged as an Error, and no failed statement's bound values (a job's output, say) reach a production log.
/// </summary>
public sealed class MartenFailureLogTests(ProductionLogMarketplaceFactory api)
    : IClassFixture<ProductionLogMarketplaceFactory>, IAsyncLifetime
{
    private const string MartenCategory = "Marten.IDocumentStore";

    public Task InitializeAsync() => api.LeaveAsync();
    public Task DisposeAsync() => api.LeaveAsync();

    [Fact]
    public async Task A_report_refused_409_by_a_held_lock_logs_its_failure_as_information_without_the_reported_output()
    {
        var (provider, machine, job) = await RunningJobAsync();
        var output = $"private-output-{Guid.NewGuid():N}";
        var seen = api.Logs.Entries.Count;

        await using (var holder = await HoldStreamAsync(machine))
            (await provider.ReportAsync(job, ("status", "3"), ("output", output))).EnsureStatus(409);

        var failures = MartenFailures(since: seen);
        Assert.NotEmpty(failures);
        Assert.All(failures, e => Assert.Equal(LogLevel.Information, e.Level));
        Assert.All(failures, e => Assert.Contains("lock", e.Exception!, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(api.Logs.Entries, e => e.AllText.Contains(output));
        (await provider.ReportAsync(job, ("status", "3"), ("output", output))).EnsureStatus(200);
    }

    [Fact]
    public async Task A_write_whose_client_hangs_up_while_it_waits_for_a_lock_logs_no_error()
    {
        var (provider, machine, _) = await RunningJobAsync();
        var errorsBefore = api.Logs.Entries.Count(e => e.Level >= LogLevel.Error);

        await using (var holder = await HoldStreamAsync(machine))
        {
            using var http = api.NewHttpClient();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", provider.Key);
            using var hangUp = new CancellationTokenSource();
            var patch = http.PatchAsync($"/api/v1/instances/{machine}/", new FormUrlEncodedContent([new("name", "renamed")]), hangUp.Token);
            // Hang up only once the write waits for the lock in PostgreSQL, so that there is a statement to cancel.
            await Eventually(async () => await LockWaitsAsync(holder) > 0, "the write never waited for the lock");
            await hangUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => patch);
            // The server notices the hang-up, cancels the statement that waits for the lock, and logs the request as 499.
            await Eventually(() => Task.FromResult(api.Logs.Entries.Any(e => e.Category == "Sharedcloud.Es.Api.Requests"
                && e.Fields.GetValueOrDefault("StatusCode") is 499 && e.Message.Contains($"/instances/{machine} "))),
                "the server never logged the hung-up request");
        }

        Assert.Equal(errorsBefore, api.Logs.Entries.Count(e => e.Level >= LogLevel.Error));
        Assert.Equal("machine", (await provider.GetAsync($"/api/v1/instances/{machine}/")).EnsureStatus(200).Object["name"]!.GetValue<string>());
    }

    private List<LogEntry> MartenFailures(int since) =>
        api.Logs.Entries.Skip(since).Where(e => e.Category == MartenCategory && e.Exception is not null).ToList();

    private async Task<(ApiClient Provider, string Machine, string Job)> RunningJobAsync()
    {
        var consumer = await api.NewBetaAccountAsync();
        var provider = await api.NewAccountAsync();
        await consumer.CreateRunAsync(await consumer.CreateFunctionAsync(), "((1,),)");
        var machine = await provider.StartMachineAsync(parallel: 1);
        var job = (await provider.PollAsync(machine)).Single()!["job_uuid"]!.GetValue<string>();
        (await provider.ReportAsync(job, ("status", "2"))).EnsureStatus(200);
        return (provider, machine, job);
    }

    /// <summary>Another transaction holding the stream's row, as a writer stuck mid-transaction would; released on dispose.</summary>
    private async Task<NpgsqlConnection> HoldStreamAsync(string stream)
    {
        var holder = new NpgsqlConnection(api.ConnectionString);
        await holder.OpenAsync();
        var transaction = await holder.BeginTransactionAsync(); // rolled back when the connection closes
        await using (var lockRow = new NpgsqlCommand("select 1 from sharedcloud.mt_streams where id = $1 for update", holder, transaction))
        {
            lockRow.Parameters.AddWithValue(Guid.Parse(stream));
            await lockRow.ExecuteNonQueryAsync();
        }
        return holder;
    }

    private static async Task Eventually(Func<Task<bool>> condition, string failure)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail(failure);
    }

    private static async Task<long> LockWaitsAsync(NpgsqlConnection holder)
    {
        await using var count = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'", holder);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
