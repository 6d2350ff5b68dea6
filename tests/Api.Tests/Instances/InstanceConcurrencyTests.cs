using System.Net;
using Xunit.Abstractions;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Instances;

/// <summary>Writes racing on one instance: each is applied whole or refused cleanly, none is lost.</summary>
public sealed class InstanceConcurrencyTests(ApiFactory api, ITestOutputHelper output) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Twenty_parallel_renames_all_succeed_and_the_stream_holds_each_once()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        var url = Url(created);
        var names = Enumerable.Range(1, 20).Select(i => $"name-{i:00}").ToArray();

        using var start = new SemaphoreSlim(0);
        var requests = names.Select(async name =>
        {
            await start.WaitAsync();
            return (Name: name, Reply: await john.SendFormAsync(HttpMethod.Patch, url, ("uuid", Uuid(created)), ("name", name)));
        }).ToArray();
        start.Release(names.Length);
        var replies = await Task.WhenAll(requests);

        // Writers of one instance queue on its stream's row lock: none is turned away.
        foreach (var (name, reply) in replies)
        {
            Assert.True(reply.Status is HttpStatusCode.OK, $"{name}: {(int)reply.Status} {reply.Body}");
            AssertInstanceShape(reply.Json);
        }
        var succeeded = replies.Select(r => r.Name).Order().ToArray();
        output.WriteLine($"{succeeded.Length} of {names.Length} renames answered 200");

        var events = await api.EventsAsync(Uuid(created));
        var renames = events.Where(e => e.Type == "instance_renamed").ToArray();
        Assert.Equal(succeeded, renames.Select(e => e.Data["name"]!.GetValue<string>()).Order().ToArray());
        Assert.Equal(Enumerable.Range(1, events.Count).Select(v => (long)v), events.Select(e => e.Version));

        var final = (await john.GetAsync(url)).EnsureStatus(200).Object;
        Assert.Equal(renames[^1].Data["name"]!.GetValue<string>(), final["name"]!.GetValue<string>());
        var listed = Assert.Single((await john.GetAsync(InstancesUrl)).Array);
        Assert.Equal(final["name"]!.GetValue<string>(), listed!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Parallel_patches_of_different_fields_all_survive()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync(("name", "box"), ("ask_price", "1"), ("max_num_parallel_jobs", "1"));
        var url = Url(created);

        for (var round = 1; round <= 5; round++)
        {
            var name = $"round-{round}";
            var price = $"{round}.5";
            var jobs = $"{round + 1}";
            using var start = new SemaphoreSlim(0);
            (string, string)[][] bodies = [[("name", name)], [("ask_price", price)], [("max_num_parallel_jobs", jobs)]];
            var requests = bodies.Select(async fields =>
            {
                await start.WaitAsync();
                return await john.SendFormAsync(HttpMethod.Patch, url, fields);
            }).ToArray();
            start.Release(bodies.Length);
            var replies = await Task.WhenAll(requests);

            foreach (var reply in replies) reply.EnsureStatus(200);
            var final = (await john.GetAsync(url)).EnsureStatus(200).Object;
            Assert.Equal(
                $$"""{"name":"{{name}}","ask_price":{{price}},"max_num_parallel_jobs":{{jobs}}}""",
                InstanceCrudTests.Pick(final, "name", "ask_price", "max_num_parallel_jobs"));
        }

        var types = await api.EventTypesAsync(Uuid(created));
        Assert.Equal(1 + 5 * 3, types.Length);
        Assert.Equal(5, types.Count(t => t == "instance_renamed"));
        Assert.Equal(5, types.Count(t => t == "instance_price_changed"));
        Assert.Equal(5, types.Count(t => t == "instance_parallelism_changed"));
    }

    [Fact]
    public async Task A_patch_racing_a_delete_is_applied_before_it_or_not_found_after_it()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        var url = Url(created);

        using var start = new SemaphoreSlim(0);
        var patches = Enumerable.Range(1, 10).Select(async i =>
        {
            await start.WaitAsync();
            return await john.SendFormAsync(HttpMethod.Patch, url, ("name", $"n{i}"));
        }).ToArray();
        var delete = Task.Run(async () =>
        {
            await start.WaitAsync();
            return await john.DeleteAsync(url);
        });
        start.Release(11);
        var patchReplies = await Task.WhenAll(patches);
        var deleteReply = await delete;

        Assert.True(deleteReply.Status is HttpStatusCode.NoContent or HttpStatusCode.Conflict, $"{(int)deleteReply.Status} {deleteReply.Body}");
        foreach (var reply in patchReplies)
            Assert.True(reply.Status is HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.Conflict,
                $"{(int)reply.Status} {reply.Body}");

        var types = await api.EventTypesAsync(Uuid(created));
        if (deleteReply.Status == HttpStatusCode.NoContent)
        {
            Assert.Equal("instance_deleted", types[^1]);
            Assert.Equal(1, types.Count(t => t == "instance_deleted"));
        }
        // nothing is ever appended after the deletion
        var deletedAt = Array.IndexOf(types, "instance_deleted");
        Assert.True(deletedAt < 0 || deletedAt == types.Length - 1, string.Join(", ", types));
    }
}
