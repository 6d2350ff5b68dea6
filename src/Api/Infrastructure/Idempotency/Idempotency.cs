namespace Sharedcloud.Es.Api.Infrastructure.Idempotency;

public static class Idempotency
{
    public static void AddIdempotencyKeys(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IdempotencyOptions>()
            .Bind(configuration.GetSection(IdempotencyOptions.Section))
            .Validate(o => o.Retention > TimeSpan.Zero, "Idempotency:Retention must be positive.")
            .Validate(o => o.LockTimeout >= TimeSpan.Zero && o.LockTimeout <= TimeSpan.FromMinutes(1),
                "Idempotency:LockTimeout must be between 0 and 1 minute (a waiting request holds its client).")
            .Validate(o => o.CleanupInterval > TimeSpan.Zero, "Idempotency:CleanupInterval must be positive.")
            .ValidateOnStart();
        services.AddHostedService<IdempotencyCleanup>();
    }

    /// <summary>After authentication (a key belongs to an account), before everything that produces the response.</summary>
    public static IApplicationBuilder UseIdempotencyKeys(this IApplicationBuilder app) =>
        app.UseMiddleware<IdempotencyMiddleware>();
}
