using System.Buffers;
using Marten;

namespace Sharedcloud.Es.Api.Auditing;

/// <summary>
/// Who is acting and on whose behalf, for one request: recorded as metadata on every event the
/// request appends. Secrets never go here.
/// </summary>
public sealed class RequestAudit
{
    public const string CorrelationHeader = "X-Correlation-ID";

    // Header names inside mt_events.headers. The acting account's username is Marten's user_name column.
    public const string ActorIdHeader = Projections.Analytics.EventMetadata.ActorIdHeader;
    public const string OwnerIdHeader = Projections.Analytics.EventMetadata.OwnerIdHeader;
    public const string PartyIdHeader = Projections.Analytics.EventMetadata.PartyIdHeader;
    public const string MethodHeader = "method";
    public const string PathHeader = "path";

    /// <summary>The user_name recorded for changes the service makes on its own.</summary>
    public const string SystemActor = "system";

    public required string CorrelationId { get; init; }
    public required string Method { get; init; }
    public required string Path { get; init; }

    /// <summary>The acting account, once authenticated (or once sign-up/login know who it is).</summary>
    public Actor? Actor { get; set; }

    /// <summary>Stamps a session so that every event it appends carries this request's metadata.</summary>
    public void Stamp(IDocumentSession session)
    {
        session.CorrelationId = CorrelationId;
        session.SetHeader(MethodHeader, Method);
        session.SetHeader(PathHeader, Path);
        if (Actor is { } actor) StampActor(session, actor);
    }

    /// <summary>
    /// The account acts on its own streams: the audit feed of <paramref name="actor"/> holds what it
    /// appends. Sign-up and login, which run before anyone is authenticated, call this themselves.
    /// </summary>
    public static void StampActor(IDocumentSession session, Actor actor)
    {
        session.LastModifiedBy = actor.Username;
        session.SetHeader(ActorIdHeader, actor.AccountId.ToString());
        session.SetHeader(OwnerIdHeader, actor.AccountId.ToString());
    }

    /// <summary>The service acts on its own (timers, housekeeping), on streams that belong to <paramref name="owner"/>.</summary>
    public static void StampSystem(IDocumentSession session, Guid owner)
    {
        session.LastModifiedBy = SystemActor;
        session.SetHeader(OwnerIdHeader, owner.ToString());
    }

    private static readonly SearchValues<char> CorrelationChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/+=@");

    /// <summary>
    /// A client's correlation id is kept when it is short and made of ordinary token characters;
    /// anything else (empty, long, spaces, control characters) is replaced, never echoed.
    /// </summary>
    public static bool IsSane(string? value) =>
        value is { Length: > 0 and <= 128 } && !value.AsSpan().ContainsAnyExcept(CorrelationChars);
}

public sealed record Actor(Guid AccountId, string Username);

public static class RequestAuditing
{
    /// <summary>
    /// First in the pipeline, so every response, errors included, carries the correlation id.
    /// </summary>
    public static IApplicationBuilder UseRequestAudit(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var given = context.Request.Headers[RequestAudit.CorrelationHeader];
            var correlationId = given.Count == 1 && RequestAudit.IsSane(given[0]) ? given[0]! : Guid.NewGuid().ToString();
            context.Features.Set(new RequestAudit
            {
                CorrelationId = correlationId,
                Method = context.Request.Method,
                Path = context.Request.Path.Value ?? "/",
            });
            // As the response starts: the exception handler clears the headers of a response it rewrites.
            context.Response.OnStarting(static state =>
            {
                var (response, id) = ((HttpResponse, string))state;
                response.Headers[RequestAudit.CorrelationHeader] = id;
                return Task.CompletedTask;
            }, (context.Response, correlationId));
            return next(context);
        });

    public static RequestAudit? Audit(this HttpContext context) => context.Features.Get<RequestAudit>();
}
