using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Sharedcloud.Es.Api.Tests.Infrastructure;

/// <summary>
/// The real API on Kestrel (real HTTP on a loopback port) over a fresh PostgreSQL database of its
/// own: one host and one database per test class.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string TokenSecret = "test-token-secret-0123456789abcdef0123456789";
    private string _connectionString = "";
    private Uri? _address;

    public string ConnectionString => _connectionString;

    /// <summary>Where the API listens (a loopback port chosen by the OS).</summary>
    public Uri Address => _address ?? throw new InvalidOperationException("The API has not started.");

    public async Task InitializeAsync()
    {
        _connectionString = await ProvideDatabaseAsync();
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        _address = new Uri(addresses.Addresses.First());
    }

    /// <summary>The database this host runs on: a fresh one, unless a derived factory shares another's.</summary>
    protected virtual Task<string> ProvideDatabaseAsync() => TestPostgres.CreateDatabaseAsync("api");

    /// <summary>A plain HttpClient over real HTTP to the API (no in-memory test server).</summary>
    public HttpClient NewHttpClient() => new() { BaseAddress = Address };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Postgres", _connectionString);
        builder.UseSetting("Auth:TokenSecret", TokenSecret);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // Every test signs up and logs in from 127.0.0.1: far more than one address is allowed by default.
        builder.UseSetting("RateLimits:Login:PermitLimit", "1000000");
        builder.UseSetting("RateLimits:SignUp:PermitLimit", "1000000");
    }

    /// <summary>A client with no credentials.</summary>
    public ApiClient Anonymous() => new(NewHttpClient());

    /// <summary>Signs up a fresh account and logs in; the client carries its key.</summary>
    public async Task<ApiClient> NewAccountAsync(string? username = null)
    {
        username ??= "user" + Guid.NewGuid().ToString("N")[..12];
        var anonymous = Anonymous();
        const string password = "a-long-enough-passphrase";
        (await anonymous.PostFormAsync("/api/v1/users/", ("username", username), ("email", $"{username}@example.com"),
            ("password", password))).EnsureStatus(201);
        var key = await anonymous.LogInAsync(username, password);
        var client = NewHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", key);
        return new ApiClient(client) { Username = username, Password = password, Key = key };
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        catch (ObjectDisposedException e) when (e.StackTrace?.Contains("ProjectionCoordinatorBase") == true)
        {
            // WebApplicationFactory stops its host twice (dotnet/aspnetcore#40271), and the second stop of Marten's
            // projection coordinator can meet the token source the first one disposed (JasperFx/jasperfx#574, #592):
            // a teardown race of the libraries, after every test of the class has run.
        }
    }
}
