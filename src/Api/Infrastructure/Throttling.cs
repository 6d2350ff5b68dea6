using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Sharedcloud.Es.Api.Auditing;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// Configuration section <c>RateLimits</c>: how many requests of each kind a client may make. Each limit
/// is <see cref="RequestLimit.PermitLimit"/> requests per <see cref="RequestLimit.Window"/>, with bursts
/// of up to that many; a <c>PermitLimit</c> of 0 turns that limit off.
/// </summary>
public sealed class RateLimitsOptions
{
    public const string Section = "RateLimits";

    /// <summary>Off: no throttling at all, and the rate limiter is left out of the pipeline.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Logins per client address: slows password guessing down.</summary>
    public RequestLimit Login { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Sign-ups per client address: slows the mass creation of accounts down.</summary>
    public RequestLimit SignUp { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromHours(1) };

    /// <summary>GET (and HEAD, OPTIONS) per account.</summary>
    public RequestLimit Reads { get; set; } = new() { PermitLimit = 100_000, Window = TimeSpan.FromSeconds(10) };

    /// <summary>Every other method per account.</summary>
    public RequestLimit Writes { get; set; } = new() { PermitLimit = 20_000, Window = TimeSpan.FromSeconds(10) };

    public IEnumerable<(string Name, RequestLimit Limit)> All =>
        [("Login", Login), ("SignUp", SignUp), ("Reads", Reads), ("Writes", Writes)];
}

public sealed class RequestLimit
{
    public int PermitLimit { get; set; }
    public TimeSpan Window { get; set; }

    /// <summary>
    /// A token bucket of <see cref="PermitLimit"/> tokens, refilled evenly over the window in steps of at
    /// least a second: the partitioned limiter refills its buckets on a 100 ms heartbeat, and a step of a
    /// second or more also makes <c>Retry-After</c> (one step, rounded up) close to the real wait.
    /// </summary>
    internal TokenBucketRateLimiterOptions ToBucket()
    {
        var step = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, Window.Ticks / PermitLimit));
        var tokensPerStep = (int)Math.Clamp(Math.Ceiling((double)PermitLimit * step.Ticks / Window.Ticks), 1, PermitLimit);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = PermitLimit,
            TokensPerPeriod = tokensPerStep,
            ReplenishmentPeriod = step,
            QueueLimit = 0,
            AutoReplenishment = true, // the partitioned limiter turns it off and refills its buckets itself
        };
    }
}

/// <summary>
/// Throttling with ASP.NET Core's rate limiter: login and sign-up per client address, reads and writes per
/// account. A throttled request gets DRF's 429 and <c>Retry-After</c>, and nothing of it runs.
/// </summary>
public static class Throttling
{
    private enum Kind : byte { None, Login, SignUp, Read, Write }

    /// <summary>A partition: one bucket per kind and client address (anonymous kinds) or account.</summary>
    private readonly record struct Partition(Kind Kind, IPAddress? Address, Guid Account);

    public static void AddThrottling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitsOptions>()
            .Bind(configuration.GetSection(RateLimitsOptions.Section))
            .Validate(o => o.All.All(l => l.Limit.PermitLimit >= 0), "RateLimits:*:PermitLimit must be 0 (off) or more.")
            .Validate(o => o.All.All(l => l.Limit.PermitLimit == 0 || (l.Limit.Window > TimeSpan.Zero && l.Limit.Window <= TimeSpan.FromDays(1))),
                "RateLimits:*:Window must be positive and at most one day where a PermitLimit is set.")
            .ValidateOnStart();

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitsOptions>>((options, limits) =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = CreateLimiter(limits.Value);
            options.OnRejected = WriteThrottledAsync;
        });
    }

    /// <summary>
    /// After authentication (reads and writes are counted per account), before Idempotency-Key handling:
    /// a throttled request costs no lookup of its key, and a replay counts as one request, as its
    /// original did. A 429 is not stored, so the same request with the same key runs once it is let in.
    /// </summary>
    public static IApplicationBuilder UseThrottling(this IApplicationBuilder app) =>
        app.ApplicationServices.GetRequiredService<IOptions<RateLimitsOptions>>().Value.Enabled
            ? app.UseRateLimiter()
            : app;

    public static string Throttled(int seconds) =>
        $"Request was throttled. Expected available in {seconds} second{(seconds == 1 ? "" : "s")}.";

    private static PartitionedRateLimiter<HttpContext> CreateLimiter(RateLimitsOptions limits)
    {
        // Built once: the partitioner runs on every request and should allocate nothing.
        var buckets = new Dictionary<Kind, Func<Partition, TokenBucketRateLimiterOptions>>();
        foreach (var (kind, limit) in new[] { (Kind.Login, limits.Login), (Kind.SignUp, limits.SignUp),
                     (Kind.Read, limits.Reads), (Kind.Write, limits.Writes) })
        {
            if (limit.PermitLimit == 0) continue;
            var bucket = limit.ToBucket();
            buckets[kind] = _ => bucket;
        }

        return PartitionedRateLimiter.Create<HttpContext, Partition>(context =>
        {
            var partition = Classify(context);
            return buckets.TryGetValue(partition.Kind, out var bucket)
                ? RateLimitPartition.GetTokenBucketLimiter(partition, bucket)
                : RateLimitPartition.GetNoLimiter(default(Partition));
        });
    }

    private static Partition Classify(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path; // trailing slash already stripped
        if (!path.StartsWithSegments("/api/v1")) return default;
        if (HttpMethods.IsPost(request.Method))
        {
            if (path.Equals("/api/v1/api-token-auth")) return new Partition(Kind.Login, context.Connection.RemoteIpAddress, Guid.Empty);
            if (path.Equals("/api/v1/users")) return new Partition(Kind.SignUp, context.Connection.RemoteIpAddress, Guid.Empty);
        }
        if (context.Audit()?.Actor is not { } actor) return default;
        var read = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method);
        return new Partition(read ? Kind.Read : Kind.Write, null, actor.AccountId);
    }

    private static async ValueTask WriteThrottledAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        var response = rejected.HttpContext.Response;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await ErrorTable.WriteDetail(response, StatusCodes.Status429TooManyRequests, Throttled(seconds), ct);
    }
}
