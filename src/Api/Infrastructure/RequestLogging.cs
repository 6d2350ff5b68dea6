using System.Diagnostics;
using Sharedcloud.Es.Api.Auditing;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// One structured line per request, written when the response is complete: method, route template,
/// path, status, duration, correlation id and the authenticated account. Nothing else of the request:
/// no query string, no header, no body (keys and passwords travel there). Its category is
/// <see cref="Category"/>; its level, Information, is set like any other under <c>Logging:LogLevel</c>.
/// </summary>
public static partial class RequestLogging
{
    public const string Category = "Sharedcloud.Es.Api.Requests";

    /// <summary>Right after the correlation id is settled, so every response, errors included, is logged with it.</summary>
    public static IApplicationBuilder UseRequestLogging(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        return app.Use((context, next) => logger.IsEnabled(LogLevel.Information) ? Logged(context, next) : next(context));

        async Task Logged(HttpContext context, RequestDelegate next)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                var audit = context.Audit();
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
                Handled(logger, context.Request.Method, route, context.Request.Path.Value ?? "/",
                    context.RequestAborted.IsCancellationRequested ? 499 : context.Response.StatusCode,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds, audit?.CorrelationId, audit?.Actor?.AccountId);
            }
        }
    }

    [LoggerMessage(EventId = 1, EventName = "RequestHandled", Level = LogLevel.Information,
        Message = "{Method} {Route} {Path} responded {StatusCode} in {DurationMs:0.000} ms; correlation {CorrelationId}, account {AccountId}")]
    private static partial void Handled(ILogger logger, string method, string? route, string path, int statusCode,
        double durationMs, string? correlationId, Guid? accountId);
}
