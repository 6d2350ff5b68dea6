using Marten;
using Mediator;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Instances.Reading;

/// <summary>One of the caller's instances.</summary>
public sealed record GetInstance(Guid AccountId, Guid InstanceId) : IQuery<Instance>;

/// <summary>One of the caller's instances as stored (its document's JSON), for GET to answer from.</summary>
public sealed record GetStoredInstance(Guid AccountId, Guid InstanceId) : IQuery<byte[]>;

/// <summary>The caller's instances as stored (their documents' JSON), newest first.</summary>
public sealed record ListInstances(Guid AccountId) : IQuery<IReadOnlyList<byte[]>>;

/// <summary>
/// One of the caller's instances as it was at stream version <paramref name="Version"/>, or with the events
/// recorded before <paramref name="Before"/> (time travel; also for deleted instances).
/// </summary>
public sealed record GetPastInstance(Guid AccountId, Guid InstanceId, long? Version, DateTimeOffset? Before) : IQuery<Instance>;

/// <summary>
/// The reads of the stored documents, the hottest requests of the API: without a Marten session (one per request
/// would be allocated, and disposed, for nothing).
/// </summary>
public sealed class InstanceReadHandlers(InstanceReads reads) :
    IQueryHandler<GetInstance, Instance>,
    IQueryHandler<GetStoredInstance, byte[]>,
    IQueryHandler<ListInstances, IReadOnlyList<byte[]>>
{
    public async ValueTask<Instance> Handle(GetInstance query, CancellationToken ct) =>
        await reads.LoadAsync(query.InstanceId, ct) is { } state && state.IsVisibleTo(query.AccountId) ? state : throw new NotFoundException();

    // Another account's instance does not exist for the caller: 404, never 403.
    public async ValueTask<byte[]> Handle(GetStoredInstance query, CancellationToken ct) =>
        await reads.LoadJsonAsync(query.AccountId, query.InstanceId, ct) ?? throw new NotFoundException();

    public async ValueTask<IReadOnlyList<byte[]>> Handle(ListInstances query, CancellationToken ct) =>
        await reads.ListJsonAsync(query.AccountId, ct);
}

public sealed class PastInstanceHandler(IQuerySession session) : IQueryHandler<GetPastInstance, Instance>
{
    public async ValueTask<Instance> Handle(GetPastInstance query, CancellationToken ct) =>
        await PastStates.LoadAsync<Instance>(session, query.InstanceId, new PastMoment(query.Version, query.Before),
            state => state.IsVisibleTo(query.AccountId), ct);
}

public static class ReadInstanceEndpoints
{
    public const string VersionOrAt = PastStates.VersionOrAt;

    public static void MapReads(this RouteGroupBuilder instances)
    {
        instances.MapGet("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var list = await mediator.Send(new ListInstances(http.AccountId()), ct);
            var now = new InstanceJson.ServerTime(clock.GetUtcNow()); // one time for the whole list, formatted once
            return ApiResults.Written(writer =>
            {
                writer.WriteStartArray();
                foreach (var stored in list) InstanceJson.Write(writer, stored, now);
                writer.WriteEndArray();
            }, sizeHint: list.Sum(stored => stored.Length) + 2); // a response is no longer than the stored JSON it is written from
        }).Documented("listInstances", ApiTags.Instances, "The caller's instances, newest first", d => d.Returns<List<InstanceResponse>>());

        // As it is, or with ?version=N or ?at=<time> as it was then (time travel).
        instances.MapGet("{id:guid}", async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            if (PastQuery(id, http) is { } past)
            {
                var state = await mediator.Send(past, ct);
                return Preconditions.IfNoneMatch(http.Request, state.Version)
                    ? Preconditions.NotModified(http.Response, state.Version)
                    : InstanceResults.Of(state, http);
            }
            var stored = await mediator.Send(new GetStoredInstance(http.AccountId(), id), ct);
            var version = InstanceJson.VersionOf(stored);
            return Preconditions.IfNoneMatch(http.Request, version)
                ? Preconditions.NotModified(http.Response, version)
                : InstanceResults.Stored(stored, version, http);
        }).Documented("getInstance", ApiTags.Instances, "One instance, as it is or as it was", d => d
            .Describe("With `version` or `at` (not both), the instance as it was then, also after its deletion; 404 where it did " +
                      "not exist. The ETag is that version's.")
            .TimeTravel(Instance.Kind)
            .Returns<InstanceResponse>().ETag().IfNoneMatch().Errors(StatusCodes.Status404NotFound));
    }

    /// <summary>The time-travel query, when the request has ?version= or ?at=; bad values are 400.</summary>
    private static GetPastInstance? PastQuery(Guid id, HttpContext http) =>
        PastStates.From(http.Request) is { } past ? new GetPastInstance(http.AccountId(), id, past.Version, past.Before) : null;
}
