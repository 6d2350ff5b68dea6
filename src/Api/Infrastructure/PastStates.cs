using Marten;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>A moment of an object's past: right after its Nth event, or with the events recorded before a time.</summary>
public sealed record PastMoment(long? Version, DateTimeOffset? Before);

/// <summary>
/// Time travel, for every kind of stream: the domain's own fold over the stored events and their stored times, as the
/// stored document was built (nothing at or after a deletion).
/// </summary>
public static class PastStates
{
    public const string VersionOrAt = "Give either version or at, not both.";

    /// <summary>The moment a GET asks for with <c>?version=</c> or <c>?at=</c>; null for the present. Bad values are 400.</summary>
    public static PastMoment? From(HttpRequest request)
    {
        var query = request.Query;
        if (!query.ContainsKey("version") && !query.ContainsKey("at")) return null;
        var parameters = new QueryParameters(query);
        var version = parameters.Integer("version", 1, long.MaxValue);
        var at = parameters.Moment("at");
        parameters.ThrowIfInvalid();
        if (version is not null && at is not null)
            throw new FieldErrorsException(FieldErrors.For(FieldErrors.NonField, VersionOrAt));
        return new PastMoment(version, at?.End);
    }

    /// <summary>
    /// The object as it was then; 404 where it did not exist then, is not <paramref name="visible"/> to the caller, or is
    /// a stream of another kind.
    /// </summary>
    public static async Task<T> LoadAsync<T>(IQuerySession session, Guid id, PastMoment past, Func<T, bool> visible, CancellationToken ct)
        where T : class, IEvolving<T>
    {
        var state = past.Version is { } version
            ? await session.Events.AggregateStreamAsync<T>(id, version: version, token: ct)
            : await session.Events.AggregateStreamAsync<T>(id, timestamp: LastStoredInstantBefore(past.Before!.Value), token: ct);
        // Asked for a version past the end, Marten folds the whole stream: that version does not exist.
        if (state is null || !visible(state) || (past.Version is { } v && state.Version != v)) throw new NotFoundException();
        return state;
    }

    /// <summary>
    /// Marten reads the events with timestamp &lt;= t; events are stored to the microsecond, so "before
    /// <paramref name="end"/>" is "at or before the last microsecond before it".
    /// </summary>
    private static DateTimeOffset LastStoredInstantBefore(DateTimeOffset end) =>
        end == DateTimeOffset.MaxValue ? end : EventClock.ToMicrosecond(end.AddTicks(-1));
}
