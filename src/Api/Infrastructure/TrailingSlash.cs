namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// Documented URLs end in "/" and the same URL without it must work too, without a redirect
/// (clients that do not follow redirects on PATCH would break). Routes are declared without the
/// slash; this strips it before routing.
/// </summary>
public static class TrailingSlash
{
    public static IApplicationBuilder UseOptionalTrailingSlash(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var path = context.Request.Path.Value;
            if (path is { Length: > 1 } && path[^1] == '/')
                context.Request.Path = new PathString(path.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/");
            return next(context);
        });
}
