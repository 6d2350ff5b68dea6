using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;

namespace Sharedcloud.Es.Api.Tests.Accounts;

/// <summary>A copy of the database reveals neither passwords nor usable keys.</summary>
public sealed class SecretStorageTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Neither_passwords_nor_keys_are_stored_in_plain_text()
    {
        var username = TestHelpers.NewUsername();
        const string firstPassword = "first-Secret-passphrase-91";
        const string secondPassword = "second-Secret-passphrase-37";
        var anonymous = api.Client();
        (await anonymous.SignUpAsync(username, $"{username}@example.com", firstPassword)).EnsureStatus(201);
        var firstKey = await anonymous.LogInAsync(username, firstPassword);
        var client = api.WithKey(firstKey);
        await client.CreateInstanceAsync();
        (await client.PatchFormAsync("/api/v1/users/account/", ("password", secondPassword))).EnsureStatus(200);
        var secondKey = await anonymous.LogInAsync(username, secondPassword);
        Assert.NotEqual(firstKey, secondKey);

        var dump = await api.DumpDatabaseAsync();

        Assert.Contains(username, dump); // the dump does hold the account
        foreach (var secret in new[] { firstPassword, secondPassword, firstKey, secondKey })
        {
            Assert.False(dump.Contains(secret, StringComparison.OrdinalIgnoreCase),
                $"The database holds the secret {secret} in plain text");
        }
    }

    [Fact]
    public async Task Password_hashes_are_salted()
    {
        const string password = "one-shared-passphrase";
        var first = TestHelpers.NewUsername();
        var second = TestHelpers.NewUsername();
        (await api.Client().SignUpAsync(first, "a@example.com", password)).EnsureStatus(201);
        (await api.Client().SignUpAsync(second, "b@example.com", password)).EnsureStatus(201);

        var hashes = await api.QueryStringsAsync(
            "select data->>'password_hash' from sharedcloud.mt_doc_accountcredentials");

        Assert.Equal(2, hashes.Count);
        Assert.All(hashes, h => Assert.False(string.IsNullOrEmpty(h), "a credentials row has no password hash"));
        Assert.All(hashes, h => Assert.DoesNotContain(password, h));
        Assert.NotEqual(hashes[0], hashes[1]);
    }
}
