using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;

namespace Sharedcloud.Es.Api.Tests.Accounts;

/// <summary>DELETE /api/v1/users/account/: the account, its key and its instances go together.</summary>
public sealed class AccountDeletionTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string Url = "/api/v1/users/account/";
    private const string TitanV = "caf0daeb-ba23-4499-b4f9-8b4965714366";
    private const string WrongCredentials = """{"non_field_errors":["Unable to log in with provided credentials."]}""";

    [Fact]
    public async Task Deleting_the_account_is_204_with_an_empty_body()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).DeleteAsync(Url);

        reply.EnsureStatus(204);
        Assert.Equal("", reply.Body);
    }

    [Fact]
    public async Task After_deletion_the_key_is_invalid_and_the_password_no_longer_logs_in()
    {
        var john = await api.NewAccountAsync();
        (await api.WithKey(john.Key).DeleteAsync(Url)).EnsureStatus(204);

        (await api.WithKey(john.Key).GetAsync("/api/v1/users/")).IsUnauthorized("Invalid token.");
        (await api.WithKey(john.Key).GetAsync("/api/v1/instances/")).IsUnauthorized("Invalid token.");
        (await api.WithKey(john.Key).DeleteAsync(Url)).IsUnauthorized("Invalid token.");
        (await api.WithKey(john.Key).PatchFormAsync(Url, ("email", "x@example.com"))).IsUnauthorized("Invalid token.");
        (await api.Client().PostFormAsync("/api/v1/api-token-auth/", ("username", john.Username), ("password", john.Password)))
            .Is(400, WrongCredentials);
    }

    [Fact]
    public async Task The_accounts_instances_are_deleted_with_it()
    {
        var john = await api.NewAccountAsync();
        var johnClient = api.WithKey(john.Key);
        var cpu = await johnClient.CreateInstanceAsync(("name", "cpu box"), ("ask_price", "0.02"), ("max_num_parallel_jobs", "3"));
        var gpu = await johnClient.CreateInstanceAsync(("name", "gpu box"), ("ask_price", "1.5"), ("type", "gpu"), ("gpu", TitanV));
        var ids = new[] { cpu["uuid"]!.GetValue<string>(), gpu["uuid"]!.GetValue<string>() };
        Assert.Equal(2, (await johnClient.GetAsync("/api/v1/instances/")).EnsureStatus(200).Array.Count);

        (await johnClient.DeleteAsync(Url)).EnsureStatus(204);

        // Nobody sees them: not another account...
        var jane = api.WithKey((await api.NewAccountAsync()).Key);
        foreach (var id in ids) (await jane.GetAsync($"/api/v1/instances/{id}/")).Is(404, """{"detail":"Not found."}""");
        Assert.Empty((await jane.GetAsync("/api/v1/instances/")).EnsureStatus(200).Array);

        // ...nor a new account with the same username...
        var reborn = api.WithKey((await api.NewAccountAsync(john.Username)).Key);
        Assert.Empty((await reborn.GetAsync("/api/v1/instances/")).EnsureStatus(200).Array);
        foreach (var id in ids)
        {
            (await reborn.GetAsync($"/api/v1/instances/{id}/")).Is(404, """{"detail":"Not found."}""");
            (await reborn.PatchFormAsync($"/api/v1/instances/{id}/", ("name", "mine now"))).Is(404, """{"detail":"Not found."}""");
            (await reborn.DeleteAsync($"/api/v1/instances/{id}/")).Is(404, """{"detail":"Not found."}""");
        }

        // ...and no readable copy is left in the database.
        var remaining = await api.QueryStringsAsync(
            $"select id::text from sharedcloud.mt_doc_instancedetails where id in ('{ids[0]}', '{ids[1]}')");
        Assert.Empty(remaining);
    }

    [Fact]
    public async Task The_username_of_a_deleted_account_can_sign_up_again_as_a_new_account()
    {
        var john = await api.NewAccountAsync();
        var oldUuid = (await api.WithKey(john.Key).GetAsync("/api/v1/users/")).Array.Single()!["uuid"]!.GetValue<string>();
        (await api.WithKey(john.Key).DeleteAsync(Url)).EnsureStatus(204);

        var reply = await api.Client().SignUpAsync(john.Username, "reborn@example.com", "a-reborn-passphrase");

        reply.EnsureStatus(201);
        var newUuid = TestHelpers.AssertAccount(reply.Json, john.Username, "reborn@example.com", loggedIn: false);
        Assert.NotEqual(oldUuid, newUuid.ToString());
        (await api.Client().PostFormAsync("/api/v1/api-token-auth/", ("username", john.Username), ("password", john.Password)))
            .Is(400, WrongCredentials);
        var newKey = await api.Client().LogInAsync(john.Username, "a-reborn-passphrase");
        Assert.NotEqual(john.Key, newKey);
        (await api.WithKey(john.Key).GetAsync("/api/v1/users/")).IsUnauthorized("Invalid token.");
    }

    [Fact]
    public async Task Deleting_one_account_leaves_the_others_and_their_instances_alone()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var janeClient = api.WithKey(jane.Key);
        var janeInstance = await janeClient.CreateInstanceAsync();
        await api.WithKey(john.Key).CreateInstanceAsync();

        (await api.WithKey(john.Key).DeleteAsync(Url)).EnsureStatus(204);

        var accounts = (await janeClient.GetAsync("/api/v1/users/")).EnsureStatus(200).Array;
        TestHelpers.AssertAccount(Assert.Single(accounts), jane.Username, $"{jane.Username}@example.com", loggedIn: true);
        var instances = (await janeClient.GetAsync("/api/v1/instances/")).EnsureStatus(200).Array;
        Assert.Equal(janeInstance["uuid"]!.GetValue<string>(), Assert.Single(instances)!["uuid"]!.GetValue<string>());
        (await janeClient.GetAsync($"/api/v1/instances/{janeInstance["uuid"]}/")).EnsureStatus(200);
    }

    [Fact]
    public async Task Concurrent_deletes_of_one_account_delete_it_once_and_never_fail()
    {
        var john = await api.NewAccountAsync();
        var client = api.WithKey(john.Key);

        var replies = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.DeleteAsync(Url)));

        Assert.All(replies, r => Assert.True((int)r.Status is 204 or 401 or 404, $"Unexpected {(int)r.Status}: {r.Body}"));
        Assert.Single(replies, r => (int)r.Status == 204);
        (await client.GetAsync("/api/v1/users/")).IsUnauthorized("Invalid token.");
    }

    [Fact]
    public async Task Instances_created_while_the_account_is_being_deleted_do_not_outlive_it()
    {
        var john = await api.NewAccountAsync();
        var client = api.WithKey(john.Key);
        var accountId = (await client.GetAsync("/api/v1/users/")).Array.Single()!["uuid"]!.GetValue<string>();

        var creations = Enumerable.Range(0, 20)
            .Select(i => client.PostFormAsync("/api/v1/instances/", ("name", $"racer {i}"), ("ask_price", "0.02")))
            .ToList();
        var deletion = client.DeleteAsync(Url);
        await Task.WhenAll(creations.Append(deletion));

        (await deletion).EnsureStatus(204);
        Assert.All(creations.Select(c => c.Result), r => Assert.True((int)r.Status is 201 or 401 or 404,
            $"Unexpected {(int)r.Status}: {r.Body}"));
        var left = await api.QueryStringsAsync(
            $"select id::text from sharedcloud.mt_doc_instancedetails where data->>'account_id' = '{accountId}'");
        Assert.Empty(left);
    }

    [Fact]
    public async Task A_create_that_finds_its_account_gone_is_404_and_writes_nothing()
    {
        // The moment a deletion wins the race against a create: the account's read model row is gone while the
        // caller's key still authenticates (the create got past authentication before the deletion committed).
        var john = await api.NewAccountAsync();
        var client = api.WithKey(john.Key);
        var accountId = (await client.GetAsync("/api/v1/users/")).Array.Single()!["uuid"]!.GetValue<string>();
        await api.QueryStringsAsync($"delete from sharedcloud.mt_doc_accountdetails where id = '{accountId}'");
        var registrations = $"select count(*) from sharedcloud.mt_events where type = 'instance_registered' " +
                            $"and data->>'account_id' = '{accountId}'";
        Assert.Equal(["0"], await api.QueryStringsAsync(registrations));

        var reply = await client.PostFormAsync("/api/v1/instances/", ("name", "late"), ("ask_price", "0.02"));

        reply.EnsureStatus(404);
        Assert.Equal(["0"], await api.QueryStringsAsync(registrations));
        Assert.Empty(await api.QueryStringsAsync(
            $"select id::text from sharedcloud.mt_doc_instancedetails where account__id = '{accountId}'"));
    }

    [Fact]
    public async Task An_account_without_instances_is_deleted_too()
    {
        var john = await api.NewAccountAsync();
        (await api.WithKey(john.Key).DeleteAsync(Url)).EnsureStatus(204);
        (await api.WithKey(john.Key).GetAsync("/api/v1/users/")).IsUnauthorized("Invalid token.");
    }
}
