namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// How the service holds when PostgreSQL goes away, writers collide, or the process is stopped:
/// bounded lock waits for writes, pools cleared when connections die, and a bounded graceful shutdown.
/// (The connection string's bounded timeouts are <see cref="DatabaseConnection.WithDefaults"/>; the
/// answers are in <see cref="ErrorTable"/>.)
/// </summary>
public static class FaultTolerance
{
    public const string ShutdownTimeoutKey = "Shutdown:Timeout";
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(15);

    public static void AddFaultTolerance(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<DatabasePools>();
        services.AddOptions<WriteOptions>()
            .Bind(builder.Configuration.GetSection(WriteOptions.Section))
            .Validate(o => o.LockTimeout >= TimeSpan.FromMilliseconds(1) && o.LockTimeout <= TimeSpan.FromMinutes(1),
                "Writes:LockTimeout must be between 1 millisecond and 1 minute.")
            .Validate(o => o.MaxConnections is >= 1 and <= 1000, "Writes:MaxConnections must be between 1 and 1000.")
            .ValidateOnStart();

        // On SIGTERM Kestrel stops accepting at once and lets the requests in flight finish; this bounds the
        // wait for them and for the background services (Wolverine, the key listener) before the process exits.
        var shutdown = builder.Configuration.GetValue(ShutdownTimeoutKey, DefaultShutdownTimeout);
        if (shutdown <= TimeSpan.Zero)
            throw new InvalidOperationException($"{ShutdownTimeoutKey} must be positive.");
        services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdown);
    }
}
