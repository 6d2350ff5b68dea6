using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Instances;

public sealed class SmokeTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_new_account_creates_and_reads_an_instance()
    {
        var john = await api.NewAccountAsync();
        var created = await john.CreateInstanceAsync();
        var read = await john.GetAsync($"/api/v1/instances/{created["uuid"]}/");
        read.EnsureStatus(200);
        Assert.Equal("instance1", read.Object["name"]!.GetValue<string>());
    }
}
