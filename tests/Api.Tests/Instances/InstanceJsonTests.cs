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
