using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Api.Instances;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Instances;

/// <summary>
/// GET and the list write their responses straight from the stored JSON (<see cref="InstanceJson"/>): the same
/// bytes as the document read back and its <see cref="InstanceResponse"/> serialised, for every kind of instance.
/// </summary>
public sealed class InstanceJsonTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_response_written_from_the_stored_json_is_the_serialised_response_byte_for_byte()
    {
        var owner = await api.NewAccountAsync();
        var accountId = Guid.Parse((await owner.GetAsync("/api/v1/users/account/")).Object["uuid"]!.GetValue<string>());
        var plain = Uuid(await owner.CreateInstanceAsync(("name", "plain"), ("ask_price", "0.020")));
        var tricky = Uuid(await owner.CreateInstanceAsync(("name", "naïve \"quoted\" <b>&amp;</b> back\\slash / 🚀"), ("ask_price", "12.5")));
        var gpu = Uuid(await owner.CreateInstanceAsync(("name", "gpu"), ("ask_price", "1.44"), ("type", "gpu"), ("gpu", TitanV)));
        // Started, polled (online, with a last connection), fitted with an image.
        (await owner.SendFormAsync(HttpMethod.Patch, $"{Url(plain)}start/")).EnsureStatus(200);
        (await owner.GetAsync($"{Url(plain)}get-jobs/")).EnsureStatus(200);
        (await owner.SendFormAsync(HttpMethod.Patch, $"{Url(plain)}add-image/",
            ("image_registry_path", "sharedcloud/web-crawling-python36:latest"))).EnsureStatus(200);

        var reads = api.Services.GetRequiredService<InstanceReads>();
        var now = DateTimeOffset.UtcNow;
        foreach (var id in new[] { plain, tricky, gpu })
        {
            var stored = await reads.LoadJsonAsync(accountId, Guid.Parse(id), CancellationToken.None);
            var details = await reads.LoadAsync(Guid.Parse(id), CancellationToken.None);
            var expected = JsonSerializer.SerializeToUtf8Bytes(InstanceResponse.From(details!, now), ApiJson.Api.InstanceResponse);

            var written = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(written, ApiJson.WriterOptions)) InstanceJson.Write(writer, stored!, now);

            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(written.WrittenSpan));
            Assert.Equal(details!.Version, InstanceJson.VersionOf(stored));
            if (id == plain) // the fields that only a machine's life fills
                Assert.Matches("\"last_connection\":\"[^\"]+\".*\"downloaded_images\":\\[\"sharedcloud/", Encoding.UTF8.GetString(written.WrittenSpan));
        }
    }

    /// <summary>
    /// Times in UTC are rewritten digit for digit, others parsed and formatted; strings with escapes unescaped: both
    /// as the document read back and serialised gives them, whatever form the stored JSON holds them in.
    /// </summary>
    [Theory]
    [InlineData("2026-11-27T17:55:51.273492+00:00")]
    [InlineData("2026-11-27T17:55:51Z")]
    [InlineData("2026-11-27T23:59:59.9999999Z")]
    [InlineData("2026-11-28T00:55:51.273492+01:00")]
    [InlineData("2026-11-27T17:25:51-00:30")]
    public void A_stored_time_in_any_form_is_written_as_the_serialised_response_writes_it(string time)
    {
        var stored = Encoding.UTF8.GetBytes($$"""
            {"id": "01a21e26-395d-79ca-9d0b-ee787bf4b037", "name": "caf\u00e9 \"x\" \\ <y>", "type": 1, "gpu_id": null,
             "status": 1, "version": 7, "gpu_name": null, "ask_price": 0.02, "is_online": false,
             "account_id": "01a21e26-35a0-7e88-a916-43092a9ac506", "created_at": "{{time}}", "updated_at": "{{time}}",
             "last_connection": "{{time}}", "num_running_jobs": 0, "downloaded_images": ["a\/b"], "num_assigned_jobs": 3,
             "max_num_parallel_jobs": 2}
            """);
        var serializer = api.Services.GetRequiredService<Marten.IDocumentStore>().Options.Serializer();
        var details = serializer.FromJson<Sharedcloud.Es.Domain.Instances.Instance>(new MemoryStream(stored));
        var now = DateTimeOffset.UtcNow;
        var expected = JsonSerializer.SerializeToUtf8Bytes(InstanceResponse.From(details, now), ApiJson.Api.InstanceResponse);

        var written = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(written, ApiJson.WriterOptions)) InstanceJson.Write(writer, stored, now);

        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(written.WrittenSpan));
        Assert.Equal(7, InstanceJson.VersionOf(stored));
    }

    [Fact]
    public async Task Another_accounts_instance_is_not_read()
    {
        var owner = await api.NewAccountAsync();
        var other = await api.NewAccountAsync();
        var otherId = Guid.Parse((await other.GetAsync("/api/v1/users/account/")).Object["uuid"]!.GetValue<string>());
        var id = Guid.Parse(Uuid(await owner.CreateInstanceAsync()));

        Assert.Null(await api.Services.GetRequiredService<InstanceReads>().LoadJsonAsync(otherId, id, CancellationToken.None));
    }
}
