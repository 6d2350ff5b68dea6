using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;
using static Sharedcloud.Es.Api.Tests.Infrastructure.ConditionalRequests;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Instances;

/// <summary>GET /api/v1/instances/&lt;uuid&gt;/?version=N and ?at=&lt;time&gt;: the instance as it was then.</summary>
public sealed class TimeTravelTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string WrongFormat =
        "Datetime has wrong format. Use one of these formats instead: " +
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z], DD-MM-YYYY hh:mm:ss.";

    private static string AtVersion(JsonObject instance, long version) => $"{Url(instance)}?version={version}";
    private static string At(JsonObject instance, string time) => $"{Url(instance)}?at={Uri.EscapeDataString(time)}";

    /// <summary>The stream's recorded_at times (to the microsecond) from the history endpoint, by version.</summary>
    private static async Task<Dictionary<long, DateTimeOffset>> RecordedAtAsync(ApiClient client, JsonObject instance)
    {
        var events = (await client.GetAsync($"{Url(instance)}events/")).EnsureStatus(200).Array;
        return events.ToDictionary(e => e!["version"]!.GetValue<long>(),
            e => DateTimeOffset.Parse(e!["recorded_at"]!.GetValue<string>(), CultureInfo.InvariantCulture));
    }

    private static string Iso(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    // ---- each version --------------------------------------------------------------------------------

    [Fact]
    public async Task Each_version_reads_exactly_as_get_answered_right_after_it_was_written()
    {
        var john = await api.NewAccountAsync();
        var seen = new Dictionary<long, JsonObject>();
        async Task<JsonObject> Record(Reply write, int status)
        {
            write.EnsureStatus(status);
            var now = (await john.GetAsync(Url(write.Object))).EnsureStatus(200);
            Assert.Equal(Stored(write.Object).ToJsonString(), Stored(now.Object).ToJsonString());
            seen[long.Parse(now.ETag()!.Trim('"'), CultureInfo.InvariantCulture)] = Stored(now.Object);
            return now.Object;
        }

        var created = await Record(await john.CreateAsync(Body.Form, ("name", "box"), ("ask_price", "0.02"),
            ("max_num_parallel_jobs", "3")), 201);
        await Task.Delay(TimeSpan.FromSeconds(1.1)); // times are shown to the second: let updated_at move
        await Record(await john.PatchAsync(Body.Form, Url(created), ("name", "renamed")), 200);
        await Record(await john.PutAsync(Body.Json, Url(created), ("name", "again"), ("ask_price", 1.5m),
            ("max_num_parallel_jobs", 1)), 200); // three events at once: versions 3 to 5, GET showed 5
        await Record(await john.PatchAsync(Body.Form, Url(created), ("type", "gpu"), ("gpu", TitanV)), 200);
        await Record(await john.PatchAsync(Body.Json, Url(created), ("gpu", TeslaK80)), 200);
        await Record(await john.PatchAsync(Body.Form, Url(created), ("type", "cpu")), 200);

        Assert.Equal([1L, 2, 5, 6, 7, 8], seen.Keys.Order());
        foreach (var (version, expected) in seen)
        {
            var past = (await john.GetAsync(AtVersion(created, version))).EnsureStatus(200);
            AssertInstanceShape(past.Json);
            Assert.Equal(expected.ToJsonString(), Stored(past.Object).ToJsonString());
            Assert.Equal(Tag(version), past.ETag());
        }
        Assert.NotEqual(seen[1]["updated_at"]!.GetValue<string>(), seen[8]["updated_at"]!.GetValue<string>());

        // the versions inside one write are there too: the rename of the PUT, before its price change
        var middle = (await john.GetAsync(AtVersion(created, 3))).EnsureStatus(200).Object;
        Assert.Equal("""{"name":"again","ask_price":0.02,"max_num_parallel_jobs":3}""",
            InstanceCrudTests.Pick(middle, "name", "ask_price", "max_num_parallel_jobs"));
    }

    [Fact]
    public async Task The_read_model_holds_the_stored_event_times_to_the_microsecond()
    {
        // Inline projections get an event's timestamp before PostgreSQL stores it; time travel reads the stored one.
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        for (var i = 0; i < 5; i++)
            (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", $"n{i}"))).EnsureStatus(200);

        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select d.data ->> 'created_at', d.data ->> 'updated_at', " +
            "(select timestamp from sharedcloud.mt_events where stream_id = d.id and version = 1), " +
            "(select timestamp from sharedcloud.mt_events where stream_id = d.id order by version desc limit 1) " +
            "from sharedcloud.mt_doc_instancedetails d where d.id = @id", connection);
        command.Parameters.AddWithValue("id", Guid.Parse(Uuid(created)));
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(reader.GetFieldValue<DateTimeOffset>(2), DateTimeOffset.Parse(reader.GetString(0), CultureInfo.InvariantCulture));
        Assert.Equal(reader.GetFieldValue<DateTimeOffset>(3), DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_version_after_the_last_is_not_found()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        (await john.GetAsync(AtVersion(created, 1))).EnsureStatus(200);
        (await john.GetAsync(AtVersion(created, 2))).Is(404, NotFound);
        (await john.GetAsync(AtVersion(created, long.MaxValue))).Is(404, NotFound);
    }

    // ---- a point in time ---------------------------------------------------------------------------------

    [Fact]
    public async Task A_time_between_two_writes_reads_the_earlier_one()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "first"), ("ask_price", "0.02"));
        (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "second"))).EnsureStatus(200);
        (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "third"))).EnsureStatus(200);
        var recorded = await RecordedAtAsync(john, created);

        async Task<string> NameAt(DateTimeOffset t)
        {
            var reply = (await john.GetAsync(At(created, Iso(t)))).EnsureStatus(200);
            return $"{reply.Object["name"]!.GetValue<string>()} {reply.ETag()}";
        }

        Assert.Equal("first \"1\"", await NameAt(recorded[1]));
        Assert.Equal("first \"1\"", await NameAt(recorded[2].AddTicks(-10)));
        Assert.Equal("second \"2\"", await NameAt(recorded[2]));
        Assert.Equal("second \"2\"", await NameAt(recorded[3].AddTicks(-10)));
        Assert.Equal("third \"3\"", await NameAt(recorded[3]));
        Assert.Equal("third \"3\"", await NameAt(DateTimeOffset.UtcNow.AddDays(1)));
    }

    [Fact]
    public async Task A_time_given_to_the_second_covers_that_whole_second_in_either_format()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "first"), ("ask_price", "0.02"));
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        var renamed = (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "second"))).EnsureStatus(200).Object;
        var first = created["updated_at"]!.GetValue<string>(); // dd-MM-yyyy HH:mm:ss, as responses show it
        var second = renamed["updated_at"]!.GetValue<string>();
        var firstIso = DateTime.ParseExact(first, "dd-MM-yyyy HH:mm:ss", CultureInfo.InvariantCulture)
            .ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        var atFirst = (await john.GetAsync(At(created, first))).EnsureStatus(200).Object;
        var atFirstIso = (await john.GetAsync(At(created, firstIso))).EnsureStatus(200).Object;
        var atSecond = (await john.GetAsync(At(created, second))).EnsureStatus(200).Object;

        Assert.Equal(Stored(created).ToJsonString(), Stored(atFirst).ToJsonString());
        Assert.Equal(Stored(created).ToJsonString(), Stored(atFirstIso).ToJsonString());
        Assert.Equal(Stored(renamed).ToJsonString(), Stored(atSecond).ToJsonString());
    }

    [Fact]
    public async Task A_time_before_the_creation_is_not_found()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        var recorded = await RecordedAtAsync(john, created);

        (await john.GetAsync(At(created, Iso(recorded[1].AddTicks(-10))))).Is(404, NotFound);
        (await john.GetAsync(At(created, "2001-01-01"))).Is(404, NotFound);
        (await john.GetAsync(At(created, Iso(recorded[1])))).EnsureStatus(200);
    }

    [Fact]
    public async Task The_last_day_there_is_reads_the_current_state()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        foreach (var time in new[] { "9999-12-31", "31-12-9999 23:59:59", "9999-12-31T23:59:59.9999999Z" })
            Assert.Equal(Stored(created).ToJsonString(), Stored((await john.GetAsync(At(created, time))).EnsureStatus(200).Object).ToJsonString());
    }

    // ---- deleted instances and other accounts --------------------------------------------------------------

    [Fact]
    public async Task A_deleted_instance_keeps_its_history_for_its_owner_only()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "first"), ("ask_price", "0.02"));
        var renamed = (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "second"))).EnsureStatus(200).Object;
        (await john.DeleteAsync(Url(created))).EnsureStatus(204);
        var recorded = await RecordedAtAsync(john, created);

        (await john.GetAsync(Url(created))).Is(404, NotFound);
        Assert.Equal(Stored(created).ToJsonString(), Stored((await john.GetAsync(AtVersion(created, 1))).EnsureStatus(200).Object).ToJsonString());
        Assert.Equal(Stored(renamed).ToJsonString(), Stored((await john.GetAsync(AtVersion(created, 2))).EnsureStatus(200).Object).ToJsonString());
        Assert.Equal(Stored(renamed).ToJsonString(), Stored((await john.GetAsync(At(created, Iso(recorded[3].AddTicks(-10))))).EnsureStatus(200).Object).ToJsonString());

        // at and after the deletion there is no instance
        (await john.GetAsync(AtVersion(created, 3))).Is(404, NotFound);
        (await john.GetAsync(AtVersion(created, 4))).Is(404, NotFound);
        (await john.GetAsync(At(created, Iso(recorded[3])))).Is(404, NotFound);

        // another account: 404 as everywhere
        (await jane.GetAsync(AtVersion(created, 1))).Is(404, NotFound);
        (await jane.GetAsync(At(created, Iso(recorded[2])))).Is(404, NotFound);
    }

    [Fact]
    public async Task Another_accounts_instance_has_no_history_for_the_caller()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        (await jane.GetAsync(AtVersion(created, 1))).Is(404, NotFound);
        (await jane.GetAsync(At(created, "2999-01-01"))).Is(404, NotFound);
        (await john.GetAsync(AtVersion(created, 1))).EnsureStatus(200);
    }

    [Fact]
    public async Task A_stream_that_is_not_an_instance_is_not_found()
    {
        var john = await api.NewAccountAsync();
        var accountId = (await john.GetAsync("/api/v1/users/account/")).EnsureStatus(200).Object["uuid"]!.GetValue<string>();

        (await john.GetAsync($"{Url(accountId)}?version=1")).Is(404, NotFound);
        (await john.GetAsync($"{Url(accountId)}?at=2999-01-01")).Is(404, NotFound);
        (await john.GetAsync($"{Url(Guid.NewGuid().ToString())}?version=1")).Is(404, NotFound);
    }

    // ---- conditional reads of the past ---------------------------------------------------------------------

    [Fact]
    public async Task A_past_version_carries_its_tag_and_answers_304_to_it()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "renamed"))).EnsureStatus(200);

        var past = (await john.GetAsync(AtVersion(created, 1), Tag(1)));
        Assert.Equal(304, (int)past.Status);
        Assert.Equal("", past.Body);
        Assert.Equal(Tag(1), past.ETag());
        (await john.GetAsync(AtVersion(created, 1), Tag(2))).EnsureStatus(200);
    }

    // ---- bad values ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("version=abc", """{"version":["A valid integer is required."]}""")]
    [InlineData("version=", """{"version":["A valid integer is required."]}""")]
    [InlineData("version=1.0", """{"version":["A valid integer is required."]}""")]
    [InlineData("version=99999999999999999999", """{"version":["A valid integer is required."]}""")]
    [InlineData("version=0", """{"version":["Ensure this value is greater than or equal to 1."]}""")]
    [InlineData("version=-3", """{"version":["Ensure this value is greater than or equal to 1."]}""")]
    [InlineData("at=yesterday", $$"""{"at":["{{WrongFormat}}"]}""")]
    [InlineData("at=", $$"""{"at":["{{WrongFormat}}"]}""")]
    [InlineData("at=32-01-2020%2010:00:00", $$"""{"at":["{{WrongFormat}}"]}""")]
    [InlineData("version=x&at=y", $$"""{"version":["A valid integer is required."],"at":["{{WrongFormat}}"]}""")]
    [InlineData("version=0&at=2020-01-01", """{"version":["Ensure this value is greater than or equal to 1."]}""")]
    [InlineData("version=1&at=2020-01-01", """{"non_field_errors":["Give either version or at, not both."]}""")]
    public async Task Bad_values_are_400_with_the_field_errors(string query, string body)
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        (await john.GetAsync($"{Url(created)}?{query}")).Is(400, body);
    }

    [Fact]
    public async Task Authentication_comes_before_the_query()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        (await api.Client().GetAsync($"{Url(created)}?version=abc"))
            .IsUnauthorized("Authentication credentials were not provided.");
    }
}
