namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// Headers for a JSON API that browsers may reach: no sniffing the type, no framing, no loading
/// anything, no referrer. Responses are private to the caller and revalidated (their ETag makes
/// that cheap); a response that carries a key (login) is not stored at all.
/// </summary>
public static class SecurityHeaders
{
    public const string NoStore = "no-store";

    /// <summary>
    /// Set as the response starts, not before: the exception handler clears every header of a response it
    /// rewrites, and an error must carry them as much as a success.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var headers = ((HttpResponse)state).Headers;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                // The API reference page sets its own (scripts of this origin); everything else loads nothing.
                if (headers.ContentSecurityPolicy.Count == 0) headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
                headers["Referrer-Policy"] = "no-referrer";
                if (headers.CacheControl.Count == 0) headers.CacheControl = "private, no-cache"; // endpoints may tighten it (login: no-store)
                return Task.CompletedTask;
            }, context.Response);
            return next(context);
        });
}
