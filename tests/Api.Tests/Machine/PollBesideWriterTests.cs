using Microsoft.AspNetCore.Hosting;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Machine;

/// <summary>A write path whose lock waits outlast the tests' pauses (a writer kept waiting is not refused meanwhile).</summary>
public sealed class PatientWritesApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Writes:LockTimeout", "00:00:30");
    }
}

/// <summary>
/// A poll refreshes the contact in place, without the instance's stream lock: it does not wait for a writer of the
/// instance, and the writer, which loaded the document before the poll, does not store back the older contact.
/// </summary>
public sealed class PollBesideWriterTests(PatientWritesApiFactory api) : IClassFixture<PatientWritesApiFactory>
{
    [Fact]
    public async Task A_poll_neither_waits_for_a_deciding_writer_nor_is_undone_by_it()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);
        var first = await StoredContactAsync(id);

        // Appends wait behind this lock: the PATCH below holds the stream and has loaded the document, and stops there.
        await using var holder = new NpgsqlConnection(api.ConnectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var lockEvents = new NpgsqlCommand("lock table sharedcloud.mt_events in share mode", holder, transaction))
            await lockEvents.ExecuteNonQueryAsync();
        var patch = john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", "renamed"));
        await WaitUntilAsync(async () => await ScalarAsync<long>(
            "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'relation'") > 0);

        var poll = john.GetAsync(Url(id) + "get-jobs/");
        Assert.Same(poll, await Task.WhenAny(poll, Task.Delay(TimeSpan.FromSeconds(10))));
        (await poll).EnsureStatus(200);
        var polled = await StoredContactAsync(id);
        Assert.True(polled > first, $"the poll left the contact at {polled:O}");
        Assert.False(patch.IsCompleted);

        await transaction.CommitAsync();
        (await patch).EnsureStatus(200);
        Assert.Equal(polled, await StoredContactAsync(id));
        var shown = (await john.GetAsync(Url(id))).EnsureStatus(200).Object;
        Assert.Equal("renamed", shown["name"]!.GetValue<string>());
        var whole = polled.UtcDateTime;
        Assert.Equal(whole.AddTicks(-(whole.Ticks % TimeSpan.TicksPerSecond)), AssertTimestamp(shown["last_connection"]));
    }

    [Fact]
    public async Task The_stored_contact_never_goes_back_but_other_fields_change()
    {
        var john = await api.NewAccountAsync();
        var id = Uuid(await john.CreateInstanceAsync());
        (await john.GetAsync(Url(id) + "get-jobs/")).EnsureStatus(200);

        await LastContactKit.AssertTheContactCannotGoBackAsync(api.ConnectionString, id, "renamed-in-place");
    }

    private Task<DateTimeOffset> StoredContactAsync(string id) => LastContactKit.StoredContactAsync(api.ConnectionString, id);

    private Task<T> ScalarAsync<T>(string sql) => LastContactKit.ScalarAsync<T>(api.ConnectionString, sql);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(10); !await condition(); await Task.Delay(20))
            Assert.True(DateTime.UtcNow < deadline, "the writer never waited for the lock");
    }
}

/// <summary>The stored document's contact, read and written straight in the database.</summary>
public static class LastContactKit
{
    public static Task<DateTimeOffset> StoredContactAsync(string database, string id) => ScalarAsync<DateTimeOffset>(database,
        "select (data ->> 'last_connection')::timestamptz from sharedcloud.mt_doc_instancedetails where id = $1", Guid.Parse(id));

    /// <summary>
    /// Stores what a writer that loaded polled instance <paramref name="id"/>'s document before its last poll would: an
    /// older contact beside its <paramref name="name"/>. The name is stored, the contact is not.
    /// </summary>
    public static async Task AssertTheContactCannotGoBackAsync(string database, string id, string name)
    {
        var polled = await StoredContactAsync(database, id);
        await ScalarAsync<int>(database,
            "update sharedcloud.mt_doc_instancedetails set data = data || jsonb_build_object('last_connection', $2::text, 'name', $3::text) " +
            "where id = $1 returning 1", Guid.Parse(id), polled.AddSeconds(-30).ToString("O"), name);

        Assert.Equal(polled, await StoredContactAsync(database, id));
        Assert.Equal(name, await ScalarAsync<string>(database,
            "select data ->> 'name' from sharedcloud.mt_doc_instancedetails where id = $1", Guid.Parse(id)));
    }

    public static async Task<T> ScalarAsync<T>(string database, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters) command.Parameters.AddWithValue(parameter);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no row: {sql}");
        return reader.GetFieldValue<T>(0);
    }
}
