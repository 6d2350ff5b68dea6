using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// RFC 9110's order for a write to one object: an object the caller cannot see is 404 and a stale If-Match 412,
/// whatever the request's content. The write path judges both from the state it loads under the stream's lock,
/// after the content's shape was checked (before anything is read). So when the content is refused (400, 413, 415),
/// this filter looks at the stored object first and answers 404 or 412 instead where they apply: a read on the
/// refusal's path only, never on a write that goes through.
/// </summary>
/// <param name="kind">What the object is, as a client calls it ("instance").</param>
/// <param name="currentVersion">The stored version of the request's object as the caller sees it; null: none.</param>
public sealed class PreconditionsFirst(string kind, Func<HttpContext, CancellationToken, Task<long?>> currentVersion) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (e is FieldErrorsException or BadRequestException or UnsupportedMediaTypeException or Jobs.TextTooLargeException)
        {
            var http = context.HttpContext;
            var version = await currentVersion(http, http.RequestAborted) ?? throw new NotFoundException();
            Preconditions.IfMatch(http.Request).ThrowIfNotMetBy(kind, version);
            throw;
        }
    }
}
