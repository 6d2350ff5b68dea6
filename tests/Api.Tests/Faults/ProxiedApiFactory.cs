using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Faults;

/// <summary>
/// The API on a fresh database that it reaches through a <see cref="ChaosProxy"/>, with short
/// timeouts in its connection string (which take precedence over the service's defaults) so that an
/// outage test waits seconds, not tens of seconds.
/// </summary>
public sealed class ProxiedApiFactory : ApiFactory
{
    public const int ConnectTimeoutSeconds = 2;
    public const int CommandTimeoutSeconds = 3;

    private ChaosProxy? _proxy;

    public ChaosProxy Proxy => _proxy ?? throw new InvalidOperationException("The proxy has not started.");

    /// <summary>The same database without the proxy: what the test reads to check what was (not) written.</summary>
    public string DirectConnectionString { get; private set; } = "";

    protected override async Task<string> ProvideDatabaseAsync()
    {
        DirectConnectionString = await TestPostgres.CreateDatabaseAsync("faults");
        var direct = new NpgsqlConnectionStringBuilder(DirectConnectionString);
        _proxy = ChaosProxy.Start(direct.Host!, direct.Port);
        return new NpgsqlConnectionStringBuilder(DirectConnectionString)
        {
            Host = "127.0.0.1",
            Port = _proxy.Port,
            Timeout = ConnectTimeoutSeconds,
            CommandTimeout = CommandTimeoutSeconds,
        }.ConnectionString;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_proxy is not null) await _proxy.DisposeAsync();
    }
}
