using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Instances;

/// <summary>Another account's instances do not exist for you: 404 on every call, never 403, never in your list.</summary>
public sealed class InstanceIsolationTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Another_account_gets_404_on_every_call_and_the_instance_is_untouched()
    {
        var john = await api.NewAccountAsync();
        var mallory = await api.NewAccountAsync();
        var johns = await john.CreateInstanceAsync(("name", "johns"), ("ask_price", "0.5"));

        (await mallory.GetAsync(Url(johns))).Is(404, NotFound);
        (await mallory.GetAsync($"{InstancesUrl}{Uuid(johns)}")).Is(404, NotFound);
        (await mallory.SendFormAsync(HttpMethod.Put, Url(johns), ("name", "pwned"), ("ask_price", "9"))).Is(404, NotFound);
        (await mallory.SendFormAsync(HttpMethod.Patch, Url(johns), ("name", "pwned"))).Is(404, NotFound);
        (await mallory.SendJsonAsync(HttpMethod.Patch, Url(johns), new { ask_price = 9 })).Is(404, NotFound);
        (await mallory.DeleteAsync(Url(johns))).Is(404, NotFound);

        var read = (await john.GetAsync(Url(johns))).EnsureStatus(200).Object;
        Assert.True(JsonNode.DeepEquals(Stored(johns), Stored(read)), read.ToJsonString());
        Assert.Equal(["instance_registered"], await api.EventTypesAsync(Uuid(johns)));
    }

    [Fact]
    public async Task Another_account_gets_404_even_for_an_invalid_or_empty_body()
    {
        // the object is looked up before the body is validated (DRF's get_object, then the serializer)
        var john = await api.NewAccountAsync();
        var mallory = await api.NewAccountAsync();
        var johns = await john.CreateInstanceAsync();

        (await mallory.SendFormAsync(HttpMethod.Put, Url(johns))).Is(404, NotFound);
        (await mallory.SendFormAsync(HttpMethod.Patch, Url(johns), ("name", ""))).Is(404, NotFound);
        (await mallory.SendFormAsync(HttpMethod.Patch, Url(johns), ("gpu", TitanV))).Is(404, NotFound);
        (await mallory.SendFormAsync(HttpMethod.Patch, Url(johns))).Is(404, NotFound);
        (await mallory.SendRawAsync(HttpMethod.Patch, Url(johns), "{not json", "application/json")).Is(404, NotFound);
        (await mallory.SendRawAsync(HttpMethod.Put, Url(johns), "[1]", "application/json")).Is(404, NotFound);
        Assert.Equal(["instance_registered"], await api.EventTypesAsync(Uuid(johns)));
    }

    [Fact]
    public async Task Lists_hold_only_the_callers_own_instances()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var johns = await john.CreateInstanceAsync(("name", "johns"), ("ask_price", "1"));
        var janes = await jane.CreateInstanceAsync(("name", "janes"), ("ask_price", "1"));

        Assert.Equal([Uuid(johns)], (await john.GetAsync(InstancesUrl)).EnsureStatus(200).Array.Select(i => Uuid(i!.AsObject())));
        Assert.Equal([Uuid(janes)], (await jane.GetAsync(InstancesUrl)).EnsureStatus(200).Array.Select(i => Uuid(i!.AsObject())));
        (await (await api.NewAccountAsync()).GetAsync(InstancesUrl)).Is(200, "[]");
    }

    [Fact]
    public async Task The_owner_still_manages_the_instance_after_someone_else_tried()
    {
        var john = await api.NewAccountAsync();
        var mallory = await api.NewAccountAsync();
        var johns = await john.CreateInstanceAsync();
        (await mallory.DeleteAsync(Url(johns))).Is(404, NotFound);

        (await john.SendFormAsync(HttpMethod.Patch, Url(johns), ("name", "still mine"))).EnsureStatus(200);
        (await john.DeleteAsync(Url(johns))).EnsureStatus(204);
    }

    [Fact]
    public async Task Without_credentials_the_instances_answer_401()
    {
        var john = await api.NewAccountAsync();
        var johns = await john.CreateInstanceAsync();
        var anonymous = api.Anonymous();

        (await anonymous.GetAsync(InstancesUrl)).Is(401, """{"detail":"Authentication credentials were not provided."}""");
        (await anonymous.GetAsync(Url(johns))).Is(401, """{"detail":"Authentication credentials were not provided."}""");
        (await anonymous.PostFormAsync(InstancesUrl, ("name", "x"), ("ask_price", "1")))
            .Is(401, """{"detail":"Authentication credentials were not provided."}""");
        (await anonymous.DeleteAsync(Url(johns))).Is(401, """{"detail":"Authentication credentials were not provided."}""");
        (await john.GetAsync(Url(johns))).EnsureStatus(200);
    }
}
