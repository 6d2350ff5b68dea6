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

    /// <summary>
    /// After authentication (a key belongs to an account), before everything that produces the response. Only the
    /// requests that carry the header take this branch (the rest, reads above all, pay nothing for it); it rejoins
    /// the pipeline after. Inside it, an exception handler and the status-code bodies again: error bodies are part
    /// of the response that an Idempotency-Key replays.
    /// </summary>
    public static IApplicationBuilder UseIdempotencyKeys(this IApplicationBuilder app) =>
        app.UseWhen(context => IdempotencyMiddleware.Engages(context.Request), keyed => keyed
            .UseMiddleware<IdempotencyMiddleware>()
            .UseExceptionHandler()
            .UseStatusCodePages(context => ErrorTable.WriteStatusBody(context.HttpContext)));
}
