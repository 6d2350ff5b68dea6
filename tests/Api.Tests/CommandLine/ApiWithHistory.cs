using Microsoft.AspNetCore.Hosting;
using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.CommandLine;

/// <summary>
/// An API host and database with some history made through the HTTP API, as clients make it:
/// sign-ups and logins, CPU and GPU instances edited, started, polled, fitted with images,
/// one deleted, and a password change (which must leave no secret in the log).
/// </summary>
public sealed class ApiWithHistory : IAsyncLifetime
{
    public const string NewPassword = "another-long-enough-passphrase";

    public ApiFactory Api { get; } = new SteadyApiFactory();
    public string ConnectionString => Api.ConnectionString;
    public List<string> Secrets { get; } = [];

    public async Task InitializeAsync()
    {
        await Api.InitializeAsync();
        var owners = new[] { await Api.NewAccountAsync(), await Api.NewAccountAsync() };
        var gpu = (await owners[0].GetAsync("/api/v1/gpus/")).EnsureStatus(200).Array[0]!["uuid"]!.GetValue<string>();
        foreach (var owner in owners)
        {
            Secrets.Add(owner.Password);
            Secrets.Add(owner.Key);
            var cpu = (await owner.CreateInstanceAsync(("name", "cpu-box"), ("ask_price", "0.02")))["uuid"]!.GetValue<string>();
            var gpuBox = (await owner.CreateInstanceAsync(("name", "gpu-box"), ("ask_price", "0.5"), ("type", "gpu"), ("gpu", gpu)))["uuid"]!
                .GetValue<string>();
            (await owner.SendFormAsync(HttpMethod.Patch, $"/api/v1/instances/{cpu}/", ("name", "renamed"), ("ask_price", "0.03"))).EnsureStatus(200);
            (await owner.SendFormAsync(HttpMethod.Patch, $"/api/v1/instances/{cpu}/start/")).EnsureStatus(200);
            (await owner.GetAsync($"/api/v1/instances/{cpu}/get-jobs/")).EnsureStatus(200);
            (await owner.GetAsync($"/api/v1/instances/{cpu}/get-jobs/")).EnsureStatus(200);
            (await owner.SendFormAsync(HttpMethod.Patch, $"/api/v1/instances/{cpu}/add-image/",
                ("image_registry_path", "sharedcloud/web-crawling-python36:latest"))).EnsureStatus(200);
            (await owner.SendFormAsync(HttpMethod.Patch, $"/api/v1/instances/{gpuBox}/start/")).EnsureStatus(200);
            (await owner.SendFormAsync(HttpMethod.Patch, $"/api/v1/instances/{gpuBox}/stop/")).EnsureStatus(200);
            var doomed = (await owner.CreateInstanceAsync(("name", "doomed"), ("ask_price", "0.01")))["uuid"]!.GetValue<string>();
            (await owner.DeleteAsync($"/api/v1/instances/{doomed}/")).EnsureStatus(204);
            await owner.LogInAsync(owner.Username, owner.Password);
            (await owner.SendFormAsync(HttpMethod.Patch, "/api/v1/users/account/", ("password", NewPassword))).EnsureStatus(200);
        }
        Secrets.Add(NewPassword);
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)Api).DisposeAsync();

    /// <summary>Machines stay online for the length of the tests: no silence check appends events meanwhile.</summary>
    private sealed class SteadyApiFactory : ApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Presence:OfflineAfter", "1.00:00:00");
            builder.UseSetting("Presence:NotAvailableAfter", "1.00:00:00");
        }
    }
}
