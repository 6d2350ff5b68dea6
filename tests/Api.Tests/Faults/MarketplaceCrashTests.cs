using System.Net.Http.Headers;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Jobs;
using static Sharedcloud.Es.Api.Tests.Jobs.MarketplaceKit;

namespace Sharedcloud.Es.Api.Tests.Faults;

/// <summary>The API process killed (kill -9) between a job's assignment and its reports: no job is lost or handed twice.</summary>
public sealed class MarketplaceCrashTests
{

    [Fact]
    public async Task Jobs_assigned_before_a_crash_are_answered_again_after_it_and_finish_once_each()
    {
        var database = await TestPostgres.CreateDatabaseAsync("crash");
        string consumerKey, providerKey, machine, started;
        string[] handed;
        await using (var first = await ApiProcess.StartAsync(database, ("Billing:ExemptEmailPrefixes:0", MarketplaceApiFactory.ExemptPrefix)))
        {
            var consumer = await first.NewAccountAsync(MarketplaceApiFactory.ExemptPrefix);
            var provider = await first.NewAccountAsync("provider");
            (consumerKey, providerKey) = (consumer.Key!, provider.Key!);
            await consumer.CreateRunAsync(await consumer.CreateFunctionAsync());
            machine = await provider.StartMachineAsync(ask: "1", parallel: 3);
            handed = (await provider.PollAsync(machine)).Select(j => j!["job_uuid"]!.GetValue<string>()).ToArray();
            Assert.Equal(3, handed.Length);
            started = handed[0];
            (await provider.ReportAsync(started, ("status", "2"))).EnsureStatus(200);

            first.Kill(); // the machine holds three jobs, one of them started; the process dies
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }

        await using var second = await ApiProcess.StartAsync(database, ("Billing:ExemptEmailPrefixes:0", MarketplaceApiFactory.ExemptPrefix));
        var again = second.Client(providerKey);
        // The two it had not started are answered again; the started one is still its own to finish.
        var answered = (await again.PollAsync(machine)).Select(j => j!["job_uuid"]!.GetValue<string>()).Order().ToArray();
        Assert.Equal(handed[1..].Order(), answered);
        (await again.ReportAsync(started, ("status", "3"), ("output", "done\n"))).EnsureStatus(200);
        foreach (var job in answered)
        {
            (await again.ReportAsync(job, ("status", "2"))).EnsureStatus(200);
            (await again.ReportAsync(job, ("status", "3"), ("output", "done\n"))).EnsureStatus(200);
        }
        Assert.Empty(await again.PollAsync(machine));

        var jobs = await second.Client(consumerKey).JobsAsync();
        Assert.Equal(3, jobs.Count);
        Assert.All(jobs, j => Assert.Equal(3, j!["status"]!.GetValue<int>()));
        var instance = (await again.GetAsync($"/api/v1/instances/{machine}/")).EnsureStatus(200).Object;
        Assert.Equal((0, 0), (instance["num_assigned_jobs"]!.GetValue<int>(), instance["num_running_jobs"]!.GetValue<int>()));

        // Each job was assigned once and released never: the crash cost no second hand-out.
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            "select count(*) filter (where type = 'job_assigned'), count(*) filter (where type = 'job_released') " +
            "from sharedcloud.mt_events where stream_id = any($1)", connection);
        count.Parameters.AddWithValue(handed.Select(Guid.Parse).ToArray());
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((3L, 0L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

}
