using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;

namespace Sharedcloud.Es.Api.Tests.Accounts;

/// <summary>Another account's data does not exist for you: never seen, never changed.</summary>
public sealed class IsolationTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string NotFound = """{"detail":"Not found."}""";

    [Fact]
    public async Task Each_account_lists_only_itself()
    {
        var accounts = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => api.NewAccountAsync()));
        foreach (var account in accounts)
        {
            var list = (await api.WithKey(account.Key).GetAsync("/api/v1/users/")).EnsureStatus(200).Array;
            TestHelpers.AssertAccount(Assert.Single(list), account.Username, $"{account.Username}@example.com", loggedIn: true);
        }
    }

    [Fact]
    public async Task Changing_ones_account_leaves_the_other_account_alone()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var janeBefore = (await api.WithKey(jane.Key).GetAsync("/api/v1/users/")).EnsureStatus(200).Array.Single()!;

        (await api.WithKey(john.Key).PatchFormAsync("/api/v1/users/account/",
            ("uuid", janeBefore["uuid"]!.GetValue<string>()), ("email", "john-new@example.com"),
            ("password", "johns-new-passphrase"))).EnsureStatus(200);

        var janeAfter = (await api.WithKey(jane.Key).GetAsync("/api/v1/users/")).EnsureStatus(200).Array.Single()!;
        foreach (var field in new[] { "uuid", "username", "email", "last_login", "date_joined", "balance" })
            Assert.Equal(janeBefore[field]!.ToJsonString(), janeAfter[field]!.ToJsonString());
        Assert.Equal(jane.Key, await api.Client().LogInAsync(jane.Username, jane.Password));
    }

    [Fact]
    public async Task Another_accounts_instances_are_not_found()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var johnsInstance = await api.WithKey(john.Key).CreateInstanceAsync(("name", "johns box"), ("ask_price", "0.5"));
        var id = johnsInstance["uuid"]!.GetValue<string>();
        var janeClient = api.WithKey(jane.Key);

        Assert.Empty((await janeClient.GetAsync("/api/v1/instances/")).EnsureStatus(200).Array);
        (await janeClient.GetAsync($"/api/v1/instances/{id}/")).Is(404, NotFound);
        (await janeClient.PatchFormAsync($"/api/v1/instances/{id}/", ("name", "stolen"))).Is(404, NotFound);
        (await janeClient.SendFormAsync(HttpMethod.Put, $"/api/v1/instances/{id}/", ("name", "stolen"), ("ask_price", "9")))
            .Is(404, NotFound);
        (await janeClient.DeleteAsync($"/api/v1/instances/{id}/")).Is(404, NotFound);

        var johns = (await api.WithKey(john.Key).GetAsync($"/api/v1/instances/{id}/")).EnsureStatus(200).Object;
        Assert.Equal("johns box", johns["name"]!.GetValue<string>());
        Assert.Equal(0.5m, johns["ask_price"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Deleting_ones_account_never_deletes_another()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();

        (await api.WithKey(jane.Key).DeleteAsync("/api/v1/users/account/")).EnsureStatus(204);

        (await api.WithKey(john.Key).GetAsync("/api/v1/users/")).EnsureStatus(200);
        Assert.Equal(john.Key, await api.Client().LogInAsync(john.Username, john.Password));
    }
}
