using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Domain.Gpus;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Instances;

/// <summary>Create, read, list, PUT, PATCH and DELETE of instances, as the spec's Instances section describes them.</summary>
public sealed class InstanceCrudTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    // ---- create ----

    [Fact]
    public async Task Creating_a_cpu_instance_answers_201_with_the_whole_object_in_production_order()
    {
        var john = await api.NewAccountAsync();

        var reply = await john.PostFormAsync(InstancesUrl, ("name", "instance1"), ("ask_price", "0.02"));

        reply.EnsureStatus(201);
        var o = AssertInstanceShape(reply.Json);
        Assert.Equal(o["created_at"]!.GetValue<string>(), o["updated_at"]!.GetValue<string>());
        Assert.True(AssertTimestamp(o["created_at"]) <= AssertTimestamp(o["current_server_time"]));
        reply.Is(201, $$"""
            {
              "uuid": "{{Uuid(o)}}",
              "type": 1,
              "gpu": null,
              "gpu_name": "n/a",
              "num_running_jobs": 0,
              "updated_at": "{{o["updated_at"]}}",
              "created_at": "{{o["created_at"]}}",
              "current_server_time": "{{o["current_server_time"]}}",
              "num_assigned_jobs": 0,
              "last_connection": null,
              "name": "instance1",
              "status": 1,
              "ask_price": 0.02,
              "downloaded_images": [],
              "max_num_parallel_jobs": 1
            }
            """);
        Assert.Equal("0.02", Raw(o["ask_price"]));
        Assert.Equal("application/json", reply.ContentHeaders.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Creating_a_gpu_instance_names_its_catalog_gpu(Body body)
    {
        var john = await api.NewAccountAsync();

        var reply = await john.CreateAsync(body, ("name", "rig"), ("ask_price", 1.5m), ("type", "gpu"), ("gpu", TitanV));

        reply.EnsureStatus(201);
        var o = AssertInstanceShape(reply.Json);
        Assert.Equal(2, o["type"]!.GetValue<int>());
        Assert.Equal(TitanV, o["gpu"]!.GetValue<string>());
        Assert.Equal(TitanVName, o["gpu_name"]!.GetValue<string>());
        Assert.Equal(1, o["max_num_parallel_jobs"]!.GetValue<int>());
        Assert.Equal("1.5", Raw(o["ask_price"]));
        Assert.Equal(1, o["status"]!.GetValue<int>());
    }

    public static TheoryData<string, string> CatalogGpus()
    {
        var data = new TheoryData<string, string>();
        foreach (var gpu in GpuCatalog.All) data.Add(gpu.Uuid.ToString(), gpu.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(CatalogGpus))]
    public async Task Every_catalog_gpu_gives_its_name_as_gpu_name(string gpu, string name)
    {
        var john = await api.NewAccountAsync();

        var o = await john.CreateInstanceAsync(("name", "rig"), ("ask_price", "1"), ("type", "2"), ("gpu", gpu));

        Assert.Equal(gpu, o["gpu"]!.GetValue<string>());
        Assert.Equal(name, o["gpu_name"]!.GetValue<string>());
        var read = (await john.GetAsync(Url(o))).EnsureStatus(200).Object;
        Assert.Equal(name, read["gpu_name"]!.GetValue<string>());
        Assert.Equal(gpu, read["gpu"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(Body.Form, "1", 1)]
    [InlineData(Body.Form, "2", 2)]
    [InlineData(Body.Form, "cpu", 1)]
    [InlineData(Body.Form, "gpu", 2)]
    [InlineData(Body.Form, "CPU", 1)]
    [InlineData(Body.Form, "GPU", 2)]
    [InlineData(Body.Form, "Gpu", 2)]
    [InlineData(Body.Json, 1, 1)]
    [InlineData(Body.Json, 2, 2)]
    [InlineData(Body.Json, "1", 1)]
    [InlineData(Body.Json, "2", 2)]
    [InlineData(Body.Json, "cpu", 1)]
    [InlineData(Body.Json, "GPU", 2)]
    [InlineData(Body.Json, "cPu", 1)]
    public async Task The_type_is_accepted_as_number_digit_or_name_and_answered_as_an_integer(Body body, object type, int expected)
    {
        var john = await api.NewAccountAsync();
        (string, object?)[] fields = expected == 2
            ? [("name", "i"), ("ask_price", "0.5"), ("type", type), ("gpu", TitanV)]
            : [("name", "i"), ("ask_price", "0.5"), ("type", type)];

        var reply = await john.CreateAsync(body, fields);

        reply.EnsureStatus(201);
        Assert.Equal($"{expected}", Raw(reply.Object["type"]));
        Assert.Equal($"{expected}", Raw((await john.GetAsync(Url(reply.Object))).Object["type"]));
    }

    [Fact]
    public async Task Type_defaults_to_cpu()
    {
        var john = await api.NewAccountAsync();

        var o = await john.CreateInstanceAsync(("name", "i"), ("ask_price", "0.5"));

        Assert.Equal("1", Raw(o["type"]));
        Assert.Equal("null", Raw(o["gpu"]));
        Assert.Equal("n/a", o["gpu_name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(Body.Form, "0.02", "0.02")]
    [InlineData(Body.Form, "1.5", "1.5")]
    [InlineData(Body.Form, "1.50", "1.5")]
    [InlineData(Body.Form, "0.001", "0.001")]
    [InlineData(Body.Form, "0.1", "0.1")]
    [InlineData(Body.Form, "3", "3")]
    [InlineData(Body.Form, "9999999.999", "9999999.999")]
    [InlineData(Body.Json, "0.02", "0.02")]
    [InlineData(Body.Json, "1.5", "1.5")]
    [InlineData(Body.Json, "0.001", "0.001")]
    [InlineData(Body.Json, "0.1", "0.1")]
    [InlineData(Body.Json, "9999999.999", "9999999.999")]
    public async Task The_ask_price_is_kept_exactly_as_a_json_number(Body body, string sent, string answered)
    {
        var john = await api.NewAccountAsync();
        object price = body == Body.Json ? decimal.Parse(sent, System.Globalization.CultureInfo.InvariantCulture) : sent;

        var reply = await john.CreateAsync(body, ("name", "i"), ("ask_price", price));

        reply.EnsureStatus(201);
        Assert.Equal(answered, Raw(reply.Object["ask_price"]));
        Assert.Equal(answered, Raw((await john.GetAsync(Url(reply.Object))).Object["ask_price"]));
        Assert.Equal(answered, Raw((await john.GetAsync(InstancesUrl)).Array[0]!["ask_price"]));
    }

    [Fact]
    public async Task A_json_ask_price_sent_as_text_is_read_as_a_number()
    {
        var john = await api.NewAccountAsync();

        var reply = await john.CreateAsync(Body.Json, ("name", "i"), ("ask_price", "0.02"));

        reply.EnsureStatus(201);
        Assert.Equal("0.02", Raw(reply.Object["ask_price"]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task The_max_num_parallel_jobs_is_read_from_text_or_number(Body body)
    {
        var john = await api.NewAccountAsync();

        var reply = await john.CreateAsync(body, ("name", "i"), ("ask_price", "1.5"), ("max_num_parallel_jobs", body == Body.Form ? "3" : 3));

        reply.EnsureStatus(201);
        Assert.Equal("3", Raw(reply.Object["max_num_parallel_jobs"]));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task The_name_is_trimmed(Body body)
    {
        var john = await api.NewAccountAsync();

        var reply = await john.CreateAsync(body, ("name", "  my instance \t\u001e"), ("ask_price", " 1\u001d"));

        reply.EnsureStatus(201);
        Assert.Equal("my instance", reply.Object["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task A_name_of_255_characters_is_kept_whole(Body body)
    {
        var john = await api.NewAccountAsync();
        var name = string.Concat(Enumerable.Repeat("abcde", 51));

        var reply = await john.CreateAsync(body, ("name", name), ("ask_price", "1"));

        reply.EnsureStatus(201);
        Assert.Equal(name, reply.Object["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_multipart_form_body_is_read_too()
    {
        var john = await api.NewAccountAsync();
        using var content = new MultipartFormDataContent
        {
            { new StringContent("multi"), "name" },
            { new StringContent("0.25"), "ask_price" },
            { new StringContent("2"), "max_num_parallel_jobs" },
        };

        var reply = await john.SendAsync(HttpMethod.Post, InstancesUrl, content);

        reply.EnsureStatus(201);
        Assert.Equal("multi", reply.Object["name"]!.GetValue<string>());
        Assert.Equal("0.25", Raw(reply.Object["ask_price"]));
        Assert.Equal("2", Raw(reply.Object["max_num_parallel_jobs"]));
    }

    [Fact]
    public async Task Create_without_trailing_slash_works_too()
    {
        var john = await api.NewAccountAsync();

        var reply = await john.PostFormAsync("/api/v1/instances", ("name", "i"), ("ask_price", "1"));

        reply.EnsureStatus(201);
    }

    // ---- read ----

    [Fact]
    public async Task Get_returns_the_instance_as_it_was_created()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "0.5"), ("max_num_parallel_jobs", "4"));

        var read = await john.GetAsync(Url(created));

        read.EnsureStatus(200);
        AssertInstanceShape(read.Json);
        Assert.True(JsonNode.DeepEquals(Stored(created), Stored(read.Object)), $"{created.ToJsonString()}\n{read.Body}");
    }

    [Fact]
    public async Task Get_without_trailing_slash_works_too()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        (await john.GetAsync($"{InstancesUrl}{Uuid(created)}")).EnsureStatus(200);
        (await john.GetAsync("/api/v1/instances")).EnsureStatus(200);
    }

    [Fact]
    public async Task The_list_is_a_bare_array_of_the_callers_instances_newest_first()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var first = await john.CreateInstanceAsync(("name", "first"), ("ask_price", "1"));
        var janes = await jane.CreateInstanceAsync(("name", "janes"), ("ask_price", "1"));
        var second = await john.CreateInstanceAsync(("name", "second"), ("ask_price", "1"));
        var third = await john.CreateInstanceAsync(("name", "third"), ("ask_price", "1"));

        var list = await john.GetAsync(InstancesUrl);

        list.EnsureStatus(200);
        Assert.StartsWith("[", list.Body);
        var items = list.Array;
        Assert.Equal([Uuid(third), Uuid(second), Uuid(first)], items.Select(i => Uuid(i!.AsObject())).ToArray());
        foreach (var item in items) AssertInstanceShape(item);
        Assert.True(JsonNode.DeepEquals(Stored(third), Stored(items[0]!.AsObject())));

        var janesList = (await jane.GetAsync(InstancesUrl)).EnsureStatus(200).Array;
        Assert.Equal([Uuid(janes)], janesList.Select(i => Uuid(i!.AsObject())).ToArray());
    }

    [Fact]
    public async Task A_new_account_lists_an_empty_array()
    {
        var john = await api.NewAccountAsync();

        (await john.GetAsync(InstancesUrl)).Is(200, "[]");
    }

    // ---- PUT ----

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Put_requires_name_and_ask_price(Body body)
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        var reply = await john.PutAsync(body, Url(created), ("max_num_parallel_jobs", "2"));

        reply.IsFieldErrors(("name", [Required]), ("ask_price", [Required]));
        Assert.True(JsonNode.DeepEquals(Stored(created), Stored((await john.GetAsync(Url(created))).Object)));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Put_keeps_the_fields_it_omits(Body body)
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "rig"), ("ask_price", "1.5"), ("type", "gpu"), ("gpu", TeslaK80));

        var reply = await john.PutAsync(body, Url(created), ("name", "renamed"), ("ask_price", "2.5"));

        reply.EnsureStatus(200);
        var o = AssertInstanceShape(reply.Json);
        Assert.Equal("renamed", o["name"]!.GetValue<string>());
        Assert.Equal("2.5", Raw(o["ask_price"]));
        Assert.Equal("2", Raw(o["type"]));
        Assert.Equal(TeslaK80, o["gpu"]!.GetValue<string>());
        Assert.Equal(TeslaK80Name, o["gpu_name"]!.GetValue<string>());
        Assert.Equal("1", Raw(o["max_num_parallel_jobs"]));
        Assert.Equal(created["created_at"]!.GetValue<string>(), o["created_at"]!.GetValue<string>());
        Assert.Equal(Uuid(created), Uuid(o));
    }

    [Fact]
    public async Task Put_may_change_every_field()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "1"), ("max_num_parallel_jobs", "3"));

        var reply = await john.PutAsync(Body.Json, Url(created),
            ("name", "rig"), ("ask_price", 0.75m), ("type", 2), ("gpu", TitanV), ("max_num_parallel_jobs", 1));

        reply.EnsureStatus(200);
        Assert.Equal(
            """{"type":2,"gpu":"caf0daeb-ba23-4499-b4f9-8b4965714366","gpu_name":"Nvidia Titan V 12GB","name":"rig","ask_price":0.75,"max_num_parallel_jobs":1}""",
            Pick(reply.Object, "type", "gpu", "gpu_name", "name", "ask_price", "max_num_parallel_jobs"));
    }

    // ---- PATCH ----

    public static TheoryData<Body, string, string, string> PatchSubsets() => new()
    {
        { Body.Form, "name", "new-name", "\"new-name\"" },
        { Body.Json, "name", "new-name", "\"new-name\"" },
        { Body.Form, "ask_price", "0.125", "0.125" },
        { Body.Json, "ask_price", "0.125", "0.125" },
        { Body.Form, "max_num_parallel_jobs", "7", "7" },
        { Body.Json, "max_num_parallel_jobs", "7", "7" },
    };

    [Theory]
    [MemberData(nameof(PatchSubsets))]
    public async Task Patch_changes_one_field_and_keeps_the_others(Body body, string field, string value, string answered)
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "1.5"), ("max_num_parallel_jobs", "3"));
        object sent = body == Body.Json && field != "name"
            ? decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture)
            : value;

        var reply = await john.PatchAsync(body, Url(created), (field, sent));

        reply.EnsureStatus(200);
        var o = AssertInstanceShape(reply.Json);
        Assert.Equal(answered, Raw(o[field]));
        var expected = Stored(created);
        expected[field] = JsonNode.Parse(answered);
        var actual = Stored(o);
        expected.Remove("updated_at");
        actual.Remove("updated_at");
        Assert.True(JsonNode.DeepEquals(expected, actual), $"{expected.ToJsonString()}\n{actual.ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(Stored(o), Stored((await john.GetAsync(Url(created))).Object)));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Patch_switches_cpu_to_gpu_with_a_gpu(Body body)
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "1.5"));

        var reply = await john.PatchAsync(body, Url(created), ("type", "gpu"), ("gpu", TeslaK80));

        reply.EnsureStatus(200);
        Assert.Equal($$"""{"type":2,"gpu":"{{TeslaK80}}","gpu_name":"{{TeslaK80Name}}","max_num_parallel_jobs":1}""",
            Pick(reply.Object, "type", "gpu", "gpu_name", "max_num_parallel_jobs"));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Patch_switching_gpu_to_cpu_clears_gpu_and_gpu_name(Body body)
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "rig"), ("ask_price", "1.5"), ("type", "gpu"), ("gpu", TitanV));

        var reply = await john.PatchAsync(body, Url(created), ("type", "cpu"));

        reply.EnsureStatus(200);
        Assert.Equal("""{"type":1,"gpu":null,"gpu_name":"n/a"}""", Pick(reply.Object, "type", "gpu", "gpu_name"));
        Assert.Equal("""{"type":1,"gpu":null,"gpu_name":"n/a"}""",
            Pick((await john.GetAsync(Url(created))).Object, "type", "gpu", "gpu_name"));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task Patch_moves_a_gpu_instance_to_another_gpu(Body body)
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "rig"), ("ask_price", "1.5"), ("type", "gpu"), ("gpu", TitanV));

        var reply = await john.PatchAsync(body, Url(created), ("gpu", TeslaK80));

        reply.EnsureStatus(200);
        Assert.Equal($$"""{"type":2,"gpu":"{{TeslaK80}}","gpu_name":"{{TeslaK80Name}}"}""", Pick(reply.Object, "type", "gpu", "gpu_name"));
    }

    [Theory]
    [InlineData(Body.Form)]
    [InlineData(Body.Json)]
    public async Task An_official_client_patch_with_uuid_and_other_read_only_fields_ignores_them(Body body)
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "1.5"));
        var other = Guid.NewGuid().ToString();

        var reply = await john.PatchAsync(body, Url(created),
            ("uuid", other), ("name", "renamed"), ("status", "2"), ("created_at", "01-01-2000 00:00:00"),
            ("updated_at", "01-01-2000 00:00:00"), ("last_connection", "01-01-2000 00:00:00"), ("num_running_jobs", "5"),
            ("num_assigned_jobs", "6"), ("gpu_name", "fake"), ("current_server_time", "01-01-2000 00:00:00"));

        reply.EnsureStatus(200);
        var o = AssertInstanceShape(reply.Json);
        Assert.Equal(Uuid(created), Uuid(o));
        Assert.Equal("renamed", o["name"]!.GetValue<string>());
        Assert.Equal(
            """{"status":1,"last_connection":null,"num_running_jobs":0,"num_assigned_jobs":0,"gpu_name":"n/a"}""",
            Pick(o, "status", "last_connection", "num_running_jobs", "num_assigned_jobs", "gpu_name"));
        Assert.Equal(created["created_at"]!.GetValue<string>(), o["created_at"]!.GetValue<string>());
        (await john.GetAsync(Url(other))).Is(404, NotFound);
    }

    [Fact]
    public async Task An_empty_patch_answers_the_unchanged_instance()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        var reply = await john.SendFormAsync(HttpMethod.Patch, Url(created));

        reply.EnsureStatus(200);
        Assert.True(JsonNode.DeepEquals(Stored(created), Stored(reply.Object)));
    }

    [Fact]
    public async Task Patch_without_trailing_slash_works_too()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        var reply = await john.SendFormAsync(HttpMethod.Patch, $"{InstancesUrl}{Uuid(created)}", ("name", "x"));

        reply.EnsureStatus(200);
        Assert.Equal("x", reply.Object["name"]!.GetValue<string>());
    }

    // ---- DELETE ----

    [Fact]
    public async Task Delete_answers_204_with_an_empty_body_and_the_instance_is_gone()
    {
        var john = await api.NewAccountAsync();
        var kept = await john.CreateInstanceAsync(("name", "kept"), ("ask_price", "1"));
        var created = await john.CreateInstanceAsync(("name", "doomed"), ("ask_price", "1"));

        var reply = await john.DeleteAsync(Url(created));

        reply.EnsureStatus(204);
        Assert.Equal("", reply.Body);
        (await john.GetAsync(Url(created))).Is(404, NotFound);
        var list = (await john.GetAsync(InstancesUrl)).EnsureStatus(200).Array;
        Assert.Equal([Uuid(kept)], list.Select(i => Uuid(i!.AsObject())).ToArray());
    }

    [Fact]
    public async Task Delete_without_trailing_slash_works_too()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();

        (await john.DeleteAsync($"{InstancesUrl}{Uuid(created)}")).EnsureStatus(204);
    }

    [Fact]
    public async Task Writes_to_a_deleted_instance_are_404()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        (await john.DeleteAsync(Url(created))).EnsureStatus(204);

        (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", "x"))).Is(404, NotFound);
        (await john.SendFormAsync(HttpMethod.Put, Url(created), ("name", "x"), ("ask_price", "1"))).Is(404, NotFound);
        (await john.SendFormAsync(HttpMethod.Patch, Url(created))).Is(404, NotFound);
        (await john.DeleteAsync(Url(created))).Is(404, NotFound);
        (await john.GetAsync(Url(created))).Is(404, NotFound);
    }

    [Fact]
    public async Task Invalid_writes_to_a_deleted_instance_are_404_not_400()
    {
        // DRF looks the object up before it validates the body
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        (await john.DeleteAsync(Url(created))).EnsureStatus(204);

        (await john.SendFormAsync(HttpMethod.Patch, Url(created), ("name", ""))).Is(404, NotFound);
        (await john.SendFormAsync(HttpMethod.Put, Url(created), ("max_num_parallel_jobs", "0"))).Is(404, NotFound);
    }

    // ---- unknown and malformed ids ----

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("12345")]
    [InlineData("caf0daeb-ba23-4499-b4f9-8b496571436")]
    [InlineData("caf0daeb-ba23-4499-b4f9-8b4965714366x")]
    public async Task A_malformed_uuid_in_the_path_is_404(string id)
    {
        var john = await api.NewAccountAsync();

        (await john.GetAsync(Url(id))).Is(404, NotFound);
        (await john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", "x"))).Is(404, NotFound);
        (await john.SendFormAsync(HttpMethod.Put, Url(id), ("name", "x"), ("ask_price", "1"))).Is(404, NotFound);
        (await john.DeleteAsync(Url(id))).Is(404, NotFound);
    }

    [Fact]
    public async Task An_unknown_uuid_is_404()
    {
        var john = await api.NewAccountAsync();
        var id = Guid.NewGuid().ToString();

        (await john.GetAsync(Url(id))).Is(404, NotFound);
        (await john.SendFormAsync(HttpMethod.Patch, Url(id), ("name", "x"))).Is(404, NotFound);
        (await john.SendFormAsync(HttpMethod.Put, Url(id), ("name", "x"), ("ask_price", "1"))).Is(404, NotFound);
        (await john.DeleteAsync(Url(id))).Is(404, NotFound);
    }

    [Fact]
    public async Task An_invalid_patch_of_an_unknown_uuid_is_404_not_400()
    {
        var john = await api.NewAccountAsync();

        (await john.SendFormAsync(HttpMethod.Patch, Url(Guid.NewGuid().ToString()), ("ask_price", "abc"))).Is(404, NotFound);
    }

    internal static string Pick(JsonObject o, params string[] keys)
    {
        var picked = new JsonObject();
        foreach (var key in keys) picked[key] = o[key]?.DeepClone();
        return picked.ToJsonString();
    }
}
