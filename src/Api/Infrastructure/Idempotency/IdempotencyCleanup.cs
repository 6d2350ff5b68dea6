using Microsoft.Extensions.Options;
using Npgsql;

namespace Sharedcloud.Es.Api.Infrastructure.Idempotency;

/// <summary>Deletes expired keys: once at start-up, then every <see cref="IdempotencyOptions.CleanupInterval"/>.</summary>
public sealed class IdempotencyCleanup(
    NpgsqlDataSource dataSource, IOptions<IdempotencyOptions> options, ILogger<IdempotencyCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // let the host finish starting
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.CleanupInterval);
        try
        {
            do
            {
                try
                {
                    var deleted = await IdempotencyStore.DeleteExpiredAsync(dataSource, settings.Retention, stoppingToken);
                    if (deleted > 0) logger.LogDebug("Deleted {Count} expired Idempotency-Keys", deleted);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Expired keys only take space and are ignored by lookups: try again next time.
                    logger.LogWarning(e, "Could not delete expired Idempotency-Keys");
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
