using System.Text.Json;
using Mediator;
using Microsoft.AspNetCore.Http.Extensions;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Auditing;

/// <summary>
/// One object's events (an instance's, a function's, a run's, a job's), oldest first, for its owner (also after it was
/// deleted). <paramref name="Creation"/> is the stored name of the event that starts such a stream.
/// </summary>
public sealed record GetStreamHistory(Guid AccountId, Guid StreamId, string Creation, long SinceVersion, int Limit) : IQuery<EventPage>;

/// <summary>The caller's events across their account and all their instances, newest first.</summary>
public sealed record GetAuditFeed(EventLog.FeedFilter Filter) : IQuery<EventPage>;

public sealed class AuditHandlers(EventLog log) :
    IQueryHandler<GetStreamHistory, EventPage>,
    IQueryHandler<GetAuditFeed, EventPage>
{
    public async ValueTask<EventPage> Handle(GetStreamHistory query, CancellationToken ct)
    {
        if (await log.StreamOwnerAsync(query.StreamId, query.Creation, ct) != query.AccountId) throw new NotFoundException();
        return await log.StreamAsync(query.StreamId, query.SinceVersion, query.Limit, ct);
    }

    public async ValueTask<EventPage> Handle(GetAuditFeed query, CancellationToken ct) =>
        await log.FeedAsync(query.Filter, ct);
}

public static class AuditEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static readonly IReadOnlySet<string> EventTypes = MartenConfiguration.EventNames.Values.ToHashSet();

    public static void MapAudit(this IEndpointRouteBuilder app)
    {
        MapHistory(app, "instances", "instance_registered", "listInstanceEvents", "An instance's history, oldest first");
        MapHistory(app, "functions", "function_created", "listFunctionEvents", "A function's history, oldest first");
        MapHistory(app, "runs", "run_created", "listRunEvents", "A run's history, oldest first");
        MapHistory(app, "jobs", "job_created", "listJobEvents", "A job's history, oldest first: created, assigned, started, finished (or released)");

        app.MapGet("/api/v1/audit", async (HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            var query = new QueryParameters(http.Request.Query);
            var filter = new EventLog.FeedFilter(
                Owner: http.AccountId(),
                Before: query.Integer("cursor", 1, long.MaxValue),
                Stream: query.Uuid("instance"),
                Types: query.Choices("type", EventTypes),
                Since: query.Moment("since")?.Start,
                Until: query.Moment("until")?.End,
                Limit: Limit(query));
            query.ThrowIfInvalid();

            var page = await mediator.Send(new GetAuditFeed(filter), ct);
            if (page.HasMore) NextLink(http, "/api/v1/audit/", "cursor", page.Events[^1].Sequence);
            return Events(page, withStream: true);
        }).Documented("listAuditEvents", ApiTags.Audit, "The caller's audit feed, newest first", d => d
            .Describe("The events of the caller's account and of all their instances, functions, runs and jobs (deleted ones " +
                      "included), and the events the caller is a party to: the assignments and reports of their jobs on others' " +
                      "instances, and the charges for them.")
            .Parameters(
                QueryParameter.Uuid("instance", "Only this instance's events."),
                QueryParameter.Choice("type", "Only events of these types (repeatable).", [.. EventTypes.Order(StringComparer.Ordinal)])
                    with { Repeatable = true },
                QueryParameter.Time("since", "Only events recorded at or after this time."),
                QueryParameter.Time("until", "Only events recorded up to this time."),
                QueryParameter.Integer("limit", $"At most this many events ({DefaultLimit} by default).", 1, MaxLimit),
                QueryParameter.Integer("cursor", "Where the previous page ended: opaque, taken from the `Link` header.", 1))
            .Returns<List<FeedEvent>>().Paged());
    }

    private static void MapHistory(IEndpointRouteBuilder app, string collection, string creation, string operationId, string summary) =>
        app.MapGet($"/api/v1/{collection}/{{id:guid}}/events", async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            var query = new QueryParameters(http.Request.Query);
            var since = query.Integer("since_version", 0, long.MaxValue) ?? 0;
            var limit = Limit(query);
            query.ThrowIfInvalid();

            var page = await mediator.Send(new GetStreamHistory(http.AccountId(), id, creation, since, limit), ct);
            if (page.HasMore)
                NextLink(http, $"/api/v1/{collection}/{id}/events/", "since_version", page.Events[^1].Version);
            return Events(page, withStream: false);
        }).Documented(operationId, ApiTags.Audit, summary, d => d
            .Describe("Also once deleted, for its owner; anyone else gets 404.")
            .Parameters(
                QueryParameter.Integer("since_version", "Only the events after this version.", 0),
                QueryParameter.Integer("limit", $"At most this many events ({DefaultLimit} by default).", 1, MaxLimit))
            .Returns<List<InstanceEvent>>().Paged().Errors(StatusCodes.Status404NotFound));

    private static int Limit(QueryParameters query) => (int)(query.Integer("limit", 1, MaxLimit) ?? DefaultLimit);

    /// <summary>The same query with the cursor moved past this page: RFC 8288's <c>Link: &lt;…&gt;; rel="next"</c>.</summary>
    private static void NextLink(HttpContext http, string path, string cursor, long position)
    {
        var next = new QueryBuilder(http.Request.Query
            .Where(p => p.Key != cursor)
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))))
        {
            { cursor, position.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        var url = UriHelper.BuildAbsolute(http.Request.Scheme, http.Request.Host, http.Request.PathBase, path, next.ToQueryString());
        http.Response.Headers.Link = $"<{url}>; rel=\"next\"";
    }

    private static IResult Events(EventPage page, bool withStream) => new EventsResult(page.Events, withStream);

    private sealed class EventsResult(IReadOnlyList<EventRecord> events, bool withStream) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.ContentType = "application/json";
            await using (var json = new Utf8JsonWriter(http.Response.BodyWriter, new JsonWriterOptions
                         {
                             Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                         }))
                EventLog.Write(json, events, withStream);
            await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
        }
    }
}
