using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Xunit.Abstractions;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Faults;

/// <summary>
/// The API process killed (kill -9) under a write load, or stopped (SIGTERM) with a request in
/// flight. Each test runs real processes on a database of its own.
/// </summary>
public sealed class ProcessFaultTests(ITestOutputHelper output)
{

    [Fact]
    public async Task Killed_under_write_load_every_acknowledged_write_survives_and_read_models_equal_their_replay()
    {
        var database = await TestPostgres.CreateDatabaseAsync("kill9");
        var acknowledged = new ConcurrentBag<(string Instance, string Name)>(); // renames and creates that got 2xx
        var unanswered = 0;
        string key;
        List<string> instances;
        await using (var first = await ApiProcess.StartAsync(database))
        {
            var john = await first.NewAccountAsync();
            key = john.Key;
            instances = [];
            for (var i = 0; i < 8; i++) instances.Add(Uuid(await john.CreateInstanceAsync(("name", $"i{i}"), ("ask_price", "0.1"))));

            // 16 clients write as fast as they can: renames of the 8 instances (each name unique) and creates.
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                var client = first.Client(key);
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var name = $"w{w}-{n}";
                    try
                    {
                        if (n % 4 == 3)
                        {
                            var created = await client.PostFormAsync(InstancesUrl, ("name", name), ("ask_price", "0.2"));
                            if (created.Status == HttpStatusCode.Created) acknowledged.Add((Uuid(created.Object), name));
                            else Assert.Fail($"create: {(int)created.Status} {created.Body}");
                        }
                        else
                        {
                            var id = instances[(w + n) % instances.Count];
                            var renamed = await client.SendFormAsync(HttpMethod.Patch, Url(id), ("name", name));
                            if (renamed.Status == HttpStatusCode.OK) acknowledged.Add((id, name));
                            else Assert.Fail($"rename: {(int)renamed.Status} {renamed.Body}");
                        }
                    }
                    catch (HttpRequestException)
                    {
                        Interlocked.Increment(ref unanswered); // the process died under it: no answer, no promise
                        return;
                    }
                }
            })).ToArray();

            var clock = Stopwatch.StartNew();
            while (acknowledged.Count < 150 && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
            first.Kill();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
            await Task.WhenAll(workers);
            stop.Cancel();
        }
        var acked = acknowledged.ToArray();
        output.WriteLine($"killed after {acked.Length} acknowledged writes; {unanswered} requests were in flight");
        Assert.True(unanswered > 0, "the process was not killed under load");

        await using var second = await ApiProcess.StartAsync(database);
        var again = second.Client(key); // the key is still good: its account was written before
        var listed = (await again.GetAsync(InstancesUrl)).EnsureStatus(200).Array
            .Select(i => i!["uuid"]!.GetValue<string>()).ToHashSet();

        var lost = 0;
        foreach (var group in acked.GroupBy(a => a.Instance))
        {
            Assert.Contains(group.Key, listed);
            var history = (await again.GetAsync(Url(group.Key) + "events/?limit=1000")).EnsureStatus(200).Array;
            var names = history.Select(e => e!["data"]!["name"]?.GetValue<string>()).ToHashSet();
            lost += group.Count(a => !names.Contains(a.Name));
        }
        output.WriteLine($"acknowledged writes lost: {lost}");
        Assert.Equal(0, lost);

        // Every read model, including any whose write was cut off by the kill, is the replay of its events.
        foreach (var id in listed) await ConcurrentWritersTests.AssertReadModelIsTheReplayAsync(again, Url(id));
        var account = (await again.GetAsync("/api/v1/users/account/")).EnsureStatus(200);
        var accountEvents = await CountAsync(database, "select count(*) from sharedcloud.mt_events where stream_id = $1",
            Guid.Parse(account.Object["uuid"]!.GetValue<string>()));
        Assert.Equal($"\"{accountEvents}\"", account.Headers.ETag!.Tag);
        // Nothing half-written: every stream's version is its number of events.
        Assert.Equal(0, await CountAsync(database,
            "select count(*) from sharedcloud.mt_streams s where s.version <> (select count(*) from sharedcloud.mt_events e where e.stream_id = s.id)"));
        Assert.Equal(0, await CountAsync(database,
            "select count(*) from sharedcloud.mt_doc_instancedetails d join sharedcloud.mt_streams s on s.id = d.id where (d.data ->> 'version')::bigint <> s.version"));
    }

    [Fact]
    public async Task On_sigterm_the_request_in_flight_finishes_new_ones_are_refused_and_the_process_exits_cleanly()
    {
        var database = await TestPostgres.CreateDatabaseAsync("sigterm");
        await using var api = await ApiProcess.StartAsync(database, ("Shutdown:Timeout", "00:00:10"));
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        // Wolverine has work of its own to put away: a scheduled silence check.
        (await john.SendFormAsync(HttpMethod.Patch, Url(id) + "start/")).EnsureStatus(200);
        (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);

        // A write that takes a while: another transaction holds the instance's stream row for now.
        await using var holder = new NpgsqlConnection(database);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from sharedcloud.mt_streams where id = $1 for update", holder, transaction))
        {
            lockRow.Parameters.AddWithValue(Guid.Parse(id));
            await lockRow.ExecuteNonQueryAsync();
        }
        var inFlight = john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", "finished-during-shutdown"));
        await WaitUntilAsync(async () => await CountAsync(database,
            "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'") > 0, "the write never waited for the lock");

        var clock = Stopwatch.StartNew();
        api.Terminate();
        await WaitUntilAsync(api.RefusesConnectionsAsync, "the API still accepted connections after SIGTERM");
        output.WriteLine($"refusing new connections {clock.ElapsedMilliseconds} ms after SIGTERM");
        Assert.False(inFlight.IsCompleted);
        Assert.False(api.HasExited);

        await transaction.RollbackAsync(); // the write can go on
        var reply = await inFlight;
        output.WriteLine($"in-flight write answered {(int)reply.Status} {clock.ElapsedMilliseconds} ms after SIGTERM");
        Assert.Equal("finished-during-shutdown", reply.EnsureStatus(200).Object["name"]!.GetValue<string>());

        Assert.True(await api.WaitForExitAsync(TimeSpan.FromSeconds(15)), $"still running 15 s after SIGTERM:\n{api.Output}");
        output.WriteLine($"exited with {api.ExitCode} {clock.ElapsedMilliseconds} ms after SIGTERM");
        Assert.Equal(0, api.ExitCode);
        var errors = api.Output.Split('\n').Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length == 0, $"errors logged:\n{api.Output}");
        Assert.Contains("Application is shutting down", api.Output);
        Assert.Equal(1, await CountAsync(database,
            "select count(*) from sharedcloud.mt_events where stream_id = $1 and type = 'instance_renamed'", Guid.Parse(id)));
    }

    private static async Task<long> CountAsync(string database, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), failure);
            await Task.Delay(50);
        }
    }
}
