using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Instances;

/// <summary>
/// Every field rule and message of the spec's Instances section, in both encodings: form bodies
/// (as the official client sends them, every value a string) and JSON bodies (typed values).
/// </summary>
public sealed class InstanceValidationTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private ApiClient? _john;

    private async Task<ApiClient> John() => _john ??= await api.NewAccountAsync();

    /// <summary>A value as a form sends it (text) or as JSON does (a number).</summary>
    private static object Num(Body body, string value) =>
        body == Body.Form ? value : decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture);

    private async Task AssertNothingCreatedBy(ApiClient client, Func<Task> act)
    {
        var before = (await client.GetAsync(InstancesUrl)).Array.Count;
        await act();
        Assert.Equal(before, (await client.GetAsync(InstancesUrl)).Array.Count);
    }

    // ---- required, blank, null, length ----

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Create_requires_name_and_ask_price(Body body)
    {
        var john = await John();
        await AssertNothingCreatedBy(john, async () =>
            (await john.CreateAsync(body, ("type", "cpu"), ("max_num_parallel_jobs", Num(body, "3"))))
            .IsFieldErrors(("name", [Required]), ("ask_price", [Required])));
    }

    [Fact]
    public async Task Create_with_an_empty_json_object_requires_name_and_ask_price()
    {
        var john = await John();

        (await john.SendRawAsync(HttpMethod.Post, InstancesUrl, "{}", "application/json"))
            .IsFieldErrors(("name", [Required]), ("ask_price", [Required]));
    }

    [Fact]
    public async Task Malformed_json_is_a_parse_error_for_create_and_patch()
    {
        var john = await John();
        var created = await john.CreateInstanceAsync();

        foreach (var reply in new[]
                 {
                     await john.SendRawAsync(HttpMethod.Post, InstancesUrl, "{\"name\": ", "application/json"),
                     await john.SendRawAsync(HttpMethod.Patch, Url(created), "{\"name\": ", "application/json"),
                 })
        {
            reply.EnsureStatus(400);
            Assert.Equal(["detail"], reply.Object.Select(kv => kv.Key));
            Assert.StartsWith("JSON parse error - ", reply.Object["detail"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData(Body.Form, "")]
    [InlineData(Body.Form, "  ")]
    [InlineData(Body.Form, "\t \n")]
    [InlineData(Body.Form, "\u001c\u001f ")] // Python's strip takes the information separators too
    [InlineData(Body.Json, "")]
    [InlineData(Body.Json, "  ")]
    public async Task A_blank_name_is_rejected(Body body, string name)
    {
        var john = await John();

        (await john.CreateAsync(body, ("name", name), ("ask_price", Num(body, "1")))).IsFieldErrors(("name", [Blank]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task A_blank_name_is_rejected_by_patch_and_put(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync();

        (await john.PatchAsync(body, Url(created), ("name", "   "))).IsFieldErrors(("name", [Blank]));
        (await john.PutAsync(body, Url(created), ("name", ""), ("ask_price", Num(body, "1")))).IsFieldErrors(("name", [Blank]));
        Assert.Equal("instance1", (await john.GetAsync(Url(created))).Object["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Json_null_is_rejected_for_name_ask_price_type_and_max_num_parallel_jobs()
    {
        var john = await John();

        (await john.CreateAsync(Body.Json, ("name", null), ("ask_price", null), ("type", null), ("max_num_parallel_jobs", null)))
            .IsFieldErrors(("name", [Null]), ("ask_price", [Null]), ("type", [Null]), ("max_num_parallel_jobs", [Null]));
    }

    [Fact]
    public async Task Json_null_gpu_on_a_cpu_instance_means_no_gpu()
    {
        var john = await John();

        var reply = await john.CreateAsync(Body.Json, ("name", "i"), ("ask_price", 1m), ("gpu", null));

        reply.EnsureStatus(201);
        Assert.Equal("""{"type":1,"gpu":null,"gpu_name":"n/a"}""", InstanceCrudTests.Pick(reply.Object, "type", "gpu", "gpu_name"));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task A_name_of_256_characters_is_rejected(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync();
        var name = new string('n', 256);

        (await john.CreateAsync(body, ("name", name), ("ask_price", Num(body, "1"))))
            .IsFieldErrors(("name", ["Ensure this field has no more than 255 characters."]));
        (await john.PatchAsync(body, Url(created), ("name", name)))
            .IsFieldErrors(("name", ["Ensure this field has no more than 255 characters."]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task A_name_of_255_characters_after_trimming_is_accepted(Body body)
    {
        var john = await John();
        var name = new string('n', 255);

        var reply = await john.CreateAsync(body, ("name", $"  {name}  "), ("ask_price", Num(body, "1")));

        reply.EnsureStatus(201);
        Assert.Equal(name, reply.Object["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_names_length_counts_characters_as_python_does_not_utf16_units()
    {
        var john = await John();
        var emoji = string.Concat(Enumerable.Repeat("\U0001F680", 255)); // 255 characters, 510 UTF-16 units

        var reply = await john.CreateAsync(Body.Form, ("name", emoji), ("ask_price", "1"));
        reply.EnsureStatus(201);
        Assert.Equal(emoji, reply.Object["name"]!.GetValue<string>());
        (await john.CreateAsync(Body.Form, ("name", emoji + "\U0001F680"), ("ask_price", "1")))
            .IsFieldErrors(("name", ["Ensure this field has no more than 255 characters."]));
    }

    // ---- ask_price ----

    [Theory]
    [InlineData(Body.Form, "abc")]
    [InlineData(Body.Form, "")]
    [InlineData(Body.Form, "1,5")]
    [InlineData(Body.Json, "abc")]
    [InlineData(Body.Json, "")]
    public async Task An_ask_price_that_is_not_a_number_is_rejected(Body body, string price)
    {
        var john = await John();

        (await john.CreateAsync(body, ("name", "i"), ("ask_price", price)))
            .IsFieldErrors(("ask_price", ["A valid number is required."]));
    }

    [Theory]
    [InlineData(Body.Form, "0")]
    [InlineData(Body.Form, "-1")]
    [InlineData(Body.Form, "0.000")]
    [InlineData(Body.Form, "0.0001")] // the official client's own test case
    [InlineData(Body.Form, "0.0009")]
    [InlineData(Body.Json, "0")]
    [InlineData(Body.Json, "-2.5")]
    [InlineData(Body.Json, "0.0001")]
    public async Task An_ask_price_below_0_001_cannot_be_smaller_than_the_minimum(Body body, string price)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync();

        (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, price)))).IsFieldErrors(("ask_price", [TooSmall]));
        (await john.PatchAsync(body, Url(created), ("ask_price", Num(body, price)))).IsFieldErrors(("ask_price", [TooSmall]));
        (await john.PutAsync(body, Url(created), ("name", "i"), ("ask_price", Num(body, price)))).IsFieldErrors(("ask_price", [TooSmall]));
        Assert.Equal("0.02", Raw((await john.GetAsync(Url(created))).Object["ask_price"]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task The_official_clients_too_low_price_case_reports_the_minimum(Body body)
    {
        // tests/test_instances.py of the client: a CPU instance with a gpu, 0.0001 and 2 jobs -> "cannot be smaller than $0.001"
        var john = await John();

        var reply = await john.CreateAsync(body, ("name", "i"), ("type", "cpu"), ("ask_price", Num(body, "0.0001")),
            ("max_num_parallel_jobs", Num(body, "2")), ("gpu", TitanV));

        reply.EnsureStatus(400);
        Assert.Equal([TooSmall], reply.Object["ask_price"]!.AsArray().Select(m => m!.GetValue<string>()).ToArray());
    }

    [Theory]
    [InlineData(Body.Form, "0.0015")]
    [InlineData(Body.Form, "1.2345")]
    [InlineData(Body.Json, "0.0015")]
    [InlineData(Body.Json, "2.5001")]
    public async Task An_ask_price_with_more_than_3_decimal_places_is_rejected(Body body, string price)
    {
        var john = await John();

        (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, price))))
            .IsFieldErrors(("ask_price", ["Ensure that there are no more than 3 decimal places."]));
    }

    [Theory]
    [InlineData(Body.Form, "0.001")]
    [InlineData(Body.Json, "0.001")]
    [InlineData(Body.Form, "0.0010")]
    public async Task An_ask_price_of_exactly_0_001_is_accepted(Body body, string price)
    {
        var john = await John();

        var reply = await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, price)));

        reply.EnsureStatus(201);
        Assert.Equal("0.001", Raw(reply.Object["ask_price"]));
    }

    // ---- type ----

    [Theory]
    [InlineData(Body.Form, "tpu")]
    [InlineData(Body.Form, "3")]
    [InlineData(Body.Form, "0")]
    [InlineData(Body.Form, "standard")]
    [InlineData(Body.Json, "tpu")]
    [InlineData(Body.Json, 3)]
    [InlineData(Body.Json, 0)]
    public async Task An_invalid_type_is_not_a_valid_choice(Body body, object type)
    {
        var john = await John();

        (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, "1")), ("type", type)))
            .IsFieldErrors(("type", [$"\"{type}\" is not a valid choice."]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task An_invalid_type_is_rejected_by_patch(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync();

        (await john.PatchAsync(body, Url(created), ("type", "blabla"))).IsFieldErrors(("type", ["\"blabla\" is not a valid choice."]));
    }

    // ---- max_num_parallel_jobs ----

    [Theory]
    [InlineData(Body.Form, "0")]
    [InlineData(Body.Form, "-3")]
    [InlineData(Body.Json, "0")]
    [InlineData(Body.Json, "-1")]
    public async Task Max_num_parallel_jobs_below_1_is_rejected(Body body, string jobs)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync();

        (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, "1")), ("max_num_parallel_jobs", Num(body, jobs))))
            .IsFieldErrors(("max_num_parallel_jobs", ["Ensure this value is greater than or equal to 1."]));
        (await john.PatchAsync(body, Url(created), ("max_num_parallel_jobs", Num(body, jobs))))
            .IsFieldErrors(("max_num_parallel_jobs", ["Ensure this value is greater than or equal to 1."]));
    }

    [Theory]
    [InlineData(Body.Form, "abc")]
    [InlineData(Body.Form, "1.5")]
    [InlineData(Body.Json, "abc")]
    [InlineData(Body.Json, 1.5)]
    public async Task Max_num_parallel_jobs_that_is_not_an_integer_is_rejected(Body body, object jobs)
    {
        var john = await John();

        (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, "1")), ("max_num_parallel_jobs", jobs)))
            .IsFieldErrors(("max_num_parallel_jobs", ["A valid integer is required."]));
    }

    // ---- empty form values (DRF reads HTML input: an optional field sent empty is not given) ----

    [Fact]
    public async Task A_form_with_empty_type_and_max_num_parallel_jobs_creates_with_the_defaults_and_a_patch_changes_nothing()
    {
        var john = await John();

        var created = (await john.CreateAsync(Body.Form, ("name", "i"), ("ask_price", "1"), ("type", ""), ("max_num_parallel_jobs", "")))
            .EnsureStatus(201).Object;
        Assert.Equal(1, created["type"]!.GetValue<int>());
        Assert.Equal(1, created["max_num_parallel_jobs"]!.GetValue<int>());

        var url = Url(Uuid(created));
        (await john.PatchAsync(Body.Form, url, ("max_num_parallel_jobs", "4"))).EnsureStatus(200);
        var version = (await api.EventsAsync(Uuid(created))).Count;
        var patched = (await john.PatchAsync(Body.Form, url, ("type", ""), ("max_num_parallel_jobs", ""))).EnsureStatus(200).Object;
        Assert.Equal(4, patched["max_num_parallel_jobs"]!.GetValue<int>());
        Assert.Equal(1, patched["type"]!.GetValue<int>());
        Assert.Equal(version, (await api.EventsAsync(Uuid(created))).Count);
    }

    [Fact]
    public async Task Empty_required_form_values_and_empty_json_strings_are_still_errors()
    {
        var john = await John();

        (await john.CreateAsync(Body.Form, ("name", ""), ("ask_price", ""), ("max_num_parallel_jobs", "")))
            .IsFieldErrors(("name", ["This field may not be blank."]), ("ask_price", ["A valid number is required."]));
        (await john.CreateAsync(Body.Json, ("name", "i"), ("ask_price", 1m), ("type", ""), ("max_num_parallel_jobs", "")))
            .IsFieldErrors(("type", ["\"\" is not a valid choice."]), ("max_num_parallel_jobs", ["A valid integer is required."]));
    }

    // ---- the rules between fields ----

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task A_gpu_instance_needs_a_gpu(Body body)
    {
        var john = await John();

        (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, "1.5")), ("type", "gpu")))
            .IsFieldErrors(("gpu", [GpuRequired]));
    }

    [Fact]
    public async Task A_gpu_instance_with_a_json_null_gpu_needs_a_gpu()
    {
        var john = await John();

        (await john.CreateAsync(Body.Json, ("name", "i"), ("ask_price", 1.5m), ("type", 2), ("gpu", null)))
            .IsFieldErrors(("gpu", [GpuRequired]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task A_gpu_is_unnecessary_for_a_cpu_instance(Body body)
    {
        var john = await John();

        await AssertNothingCreatedBy(john, async () =>
        {
            (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, "1.5")), ("type", "cpu"),
                    ("max_num_parallel_jobs", Num(body, "2")), ("gpu", TitanV)))
                .IsFieldErrors(("gpu", [GpuUnnecessary]));
            (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, "1.5")), ("gpu", TitanV)))
                .IsFieldErrors(("gpu", [GpuUnnecessary]));
        });
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task A_gpu_instance_can_only_process_one_job_at_a_time(Body body)
    {
        var john = await John();

        (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, "0.01")), ("type", "gpu"),
                ("max_num_parallel_jobs", Num(body, "2")), ("gpu", TitanV)))
            .IsFieldErrors(("max_num_parallel_jobs", [GpuSingleJob]));
    }

    [Theory]
    [InlineData(Body.Form, UnknownGpu)]
    [InlineData(Body.Json, UnknownGpu)]
    [InlineData(Body.Form, "blabla")]
    public async Task An_unknown_gpu_is_an_invalid_pk(Body body, string gpu)
    {
        var john = await John();

        (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, "1.5")), ("type", "gpu"), ("gpu", gpu)))
            .IsFieldErrors(("gpu", [$"Invalid pk \"{gpu}\" - object does not exist."]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task A_gpu_instance_without_gpu_and_with_several_jobs_gets_both_errors(Body body)
    {
        var john = await John();

        (await john.CreateAsync(body, ("name", "i"), ("ask_price", Num(body, "1.5")), ("type", "2"),
                ("max_num_parallel_jobs", Num(body, "3"))))
            .IsFieldErrors(("gpu", [GpuRequired]), ("max_num_parallel_jobs", [GpuSingleJob]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Every_failing_field_is_listed_at_once(Body body)
    {
        var john = await John();

        await AssertNothingCreatedBy(john, async () =>
            (await john.CreateAsync(body, ("name", new string('x', 256)), ("ask_price", "abc"), ("type", "tpu"),
                    ("gpu", UnknownGpu), ("max_num_parallel_jobs", Num(body, "0"))))
                .IsFieldErrors(
                    ("name", ["Ensure this field has no more than 255 characters."]),
                    ("ask_price", ["A valid number is required."]),
                    ("type", ["\"tpu\" is not a valid choice."]),
                    ("gpu", [$"Invalid pk \"{UnknownGpu}\" - object does not exist."]),
                    ("max_num_parallel_jobs", ["Ensure this value is greater than or equal to 1."])));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Blank_name_and_missing_price_are_listed_together(Body body)
    {
        var john = await John();

        (await john.CreateAsync(body, ("name", " "), ("max_num_parallel_jobs", Num(body, "-1"))))
            .IsFieldErrors(("name", [Blank]), ("ask_price", [Required]),
                ("max_num_parallel_jobs", ["Ensure this value is greater than or equal to 1."]));
    }

    // ---- the rules against the stored state (PUT/PATCH) ----

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Switching_to_gpu_with_a_stored_parallelism_above_one_names_the_current_value(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "1.5"), ("max_num_parallel_jobs", "3"));

        (await john.PatchAsync(body, Url(created), ("type", "gpu"), ("gpu", TitanV)))
            .IsFieldErrors(("max_num_parallel_jobs", ["current set value (3) is invalid for a GPU instance. Please set it to 1"]));
        (await john.PutAsync(body, Url(created), ("name", "box"), ("ask_price", Num(body, "1.5")), ("type", "gpu"), ("gpu", TitanV)))
            .IsFieldErrors(("max_num_parallel_jobs", ["current set value (3) is invalid for a GPU instance. Please set it to 1"]));
        Assert.Equal("""{"type":1,"gpu":null,"max_num_parallel_jobs":3}""",
            InstanceCrudTests.Pick((await john.GetAsync(Url(created))).Object, "type", "gpu", "max_num_parallel_jobs"));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Switching_to_gpu_with_a_stored_parallelism_above_one_succeeds_when_1_is_sent(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "1.5"), ("max_num_parallel_jobs", "3"));

        var reply = await john.PatchAsync(body, Url(created), ("type", "gpu"), ("gpu", TitanV), ("max_num_parallel_jobs", Num(body, "1")));

        reply.EnsureStatus(200);
        Assert.Equal($$"""{"type":2,"gpu":"{{TitanV}}","gpu_name":"{{TitanVName}}","max_num_parallel_jobs":1}""",
            InstanceCrudTests.Pick(reply.Object, "type", "gpu", "gpu_name", "max_num_parallel_jobs"));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Switching_to_gpu_without_gpu_and_with_a_stored_parallelism_gets_both_errors(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "1.5"), ("max_num_parallel_jobs", "4"));

        (await john.PatchAsync(body, Url(created), ("type", "GPU")))
            .IsFieldErrors(("gpu", [GpuRequired]),
                ("max_num_parallel_jobs", ["current set value (4) is invalid for a GPU instance. Please set it to 1"]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Patching_a_gpu_instance_to_several_jobs_is_rejected(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync(("name", "rig"), ("ask_price", "1.5"), ("type", "gpu"), ("gpu", TitanV));

        (await john.PatchAsync(body, Url(created), ("max_num_parallel_jobs", Num(body, "2"))))
            .IsFieldErrors(("max_num_parallel_jobs", [GpuSingleJob]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Patching_a_cpu_instance_with_a_gpu_is_rejected(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync();

        (await john.PatchAsync(body, Url(created), ("gpu", TitanV))).IsFieldErrors(("gpu", [GpuUnnecessary]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Switching_gpu_to_cpu_with_a_gpu_is_rejected_and_changes_nothing(Body body)
    {
        // the official client's update test: type CPU, price, 5 jobs and the gpu at once
        var john = await John();
        var created = await john.CreateInstanceAsync(("name", "rig"), ("ask_price", "1.5"), ("type", "gpu"), ("gpu", TitanV));

        (await john.PutAsync(body, Url(created), ("name", "new"), ("type", "cpu"), ("ask_price", Num(body, "2.5")),
                ("max_num_parallel_jobs", Num(body, "5")), ("gpu", TitanV)))
            .IsFieldErrors(("gpu", [GpuUnnecessary]));
        Assert.True(JsonNode.DeepEquals(Stored(created), Stored((await john.GetAsync(Url(created))).Object)));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Removing_the_gpu_of_a_gpu_instance_is_rejected(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync(("name", "rig"), ("ask_price", "1.5"), ("type", "gpu"), ("gpu", TitanV));

        (await john.PatchAsync(body, Url(created), ("gpu", body == Body.Form ? "" : null)))
            .IsFieldErrors(("gpu", [GpuRequired]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Patching_an_unknown_gpu_is_an_invalid_pk(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync(("name", "rig"), ("ask_price", "1.5"), ("type", "gpu"), ("gpu", TitanV));

        (await john.PatchAsync(body, Url(created), ("gpu", UnknownGpu)))
            .IsFieldErrors(("gpu", [$"Invalid pk \"{UnknownGpu}\" - object does not exist."]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task A_rejected_patch_writes_none_of_its_valid_fields(Body body)
    {
        var john = await John();
        var created = await john.CreateInstanceAsync();

        (await john.PatchAsync(body, Url(created), ("name", "renamed"), ("ask_price", Num(body, "9")), ("gpu", TitanV)))
            .IsFieldErrors(("gpu", [GpuUnnecessary]));
        (await john.PatchAsync(body, Url(created), ("name", "renamed"), ("max_num_parallel_jobs", Num(body, "0"))))
            .IsFieldErrors(("max_num_parallel_jobs", ["Ensure this value is greater than or equal to 1."]));
        Assert.True(JsonNode.DeepEquals(Stored(created), Stored((await john.GetAsync(Url(created))).Object)));
        Assert.Equal(["instance_registered"], await api.EventTypesAsync(Uuid(created)));
    }
}
