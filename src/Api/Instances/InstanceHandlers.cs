using Marten;
using Mediator;
using Sharedcloud.Es.Api.Accounts;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Changing;
using Sharedcloud.Es.Domain.Instances.Deleting;
using Sharedcloud.Es.Domain.Instances.Registering;
using Sharedcloud.Es.Projections;
using Sharedcloud.Es.Projections.Instances;

namespace Sharedcloud.Es.Api.Instances;

public sealed record GetInstance(Guid AccountId, Guid InstanceId) : IQuery<InstanceDetails>;

/// <summary>
/// One of the caller's instances as it was at stream version <paramref name="Version"/>, or with the
/// events recorded before <paramref name="Before"/> (time travel; also for deleted instances).
/// </summary>
public sealed record GetPastInstance(Guid AccountId, Guid InstanceId, long? Version, DateTimeOffset? Before)
    : IQuery<InstanceDetails>;

/// <summary>One of the caller's instances as stored (its read model's JSON), for GET to answer from.</summary>
public sealed record GetStoredInstance(Guid AccountId, Guid InstanceId) : IQuery<byte[]>;

/// <summary>The caller's instances as stored (their read model's JSON), newest first.</summary>
public sealed record ListInstances(Guid AccountId) : IQuery<IReadOnlyList<byte[]>>;

/// <summary>
/// The reads of the stored read model, the hottest requests of the API: without a Marten session (one per request
/// would be allocated, and disposed, for nothing).
/// </summary>
public sealed class InstanceReadHandlers(InstanceReads reads) :
    IQueryHandler<GetInstance, InstanceDetails>,
    IQueryHandler<GetStoredInstance, byte[]>,
    IQueryHandler<ListInstances, IReadOnlyList<byte[]>>
{
    public async ValueTask<InstanceDetails> Handle(GetInstance query, CancellationToken ct)
    {
        var details = await reads.LoadAsync(query.InstanceId, ct);
        // Another account's instance does not exist for the caller: 404, never 403.
        return details is not null && details.AccountId == query.AccountId ? details : throw new NotFoundException();
    }

    // Another account's instance does not exist for the caller: 404, never 403.
    public async ValueTask<byte[]> Handle(GetStoredInstance query, CancellationToken ct) =>
        await reads.LoadJsonAsync(query.AccountId, query.InstanceId, ct) ?? throw new NotFoundException();

    public async ValueTask<IReadOnlyList<byte[]>> Handle(ListInstances query, CancellationToken ct) =>
        await reads.ListJsonAsync(query.AccountId, ct);
}

public sealed class InstanceHandlers(IQuerySession session, ISessionFactory sessions) :
    IQueryHandler<GetPastInstance, InstanceDetails>,
    ICommandHandler<RegisterInstance, Recorded<InstanceRegistered>>,
    ICommandHandler<ChangeInstance, Guid>,
    ICommandHandler<DeleteInstance>
{
    public async ValueTask<InstanceDetails> Handle(GetPastInstance query, CancellationToken ct)
    {
        // Live aggregation through the same InstanceDetailsProjection as the stored read model (ShouldDelete
        // included: nothing at or after the deletion), from the stored events and their stored times.
        var details = query.Version is { } version
            ? await session.Events.AggregateStreamAsync<InstanceDetails>(query.InstanceId, version: version, token: ct)
            : await session.Events.AggregateStreamAsync<InstanceDetails>(query.InstanceId,
                timestamp: LastStoredInstantBefore(query.Before!.Value), token: ct);
        // Asked for a version past the end, Marten folds the whole stream: that version does not exist.
        // Another account's instance does not exist for the caller either, nor does a stream of another
        // kind (an account's uuid): it has no instance_registered, so no owner.
        if (details is null || details.AccountId != query.AccountId || (query.Version is { } v && details.Version != v))
            throw new NotFoundException();
        return details;
    }

    /// <summary>
    /// Marten reads the events with timestamp &lt;= t; events are stored to the microsecond, so "before
    /// <paramref name="end"/>" is "at or before the last microsecond before it".
    /// </summary>
    private static DateTimeOffset LastStoredInstantBefore(DateTimeOffset end) =>
        end == DateTimeOffset.MaxValue ? end : EventClock.ToMicrosecond(end.AddTicks(-1));

    public async ValueTask<Recorded<InstanceRegistered>> Handle(RegisterInstance command, CancellationToken ct)
    {
        var registered = RegisterInstance.Decide(command);
        await using var writer = sessions.OpenSession();
        AccountHold.Queue(writer, command.AccountId);
        var stream = writer.Events.StartStream<Instance>(command.InstanceId, registered);
        try
        {
            await writer.SaveChangesAsync(ct);
        }
        catch (Exception e) when (AccountHold.IsMissing(e))
        {
            throw new NotFoundException(); // the account was deleted meanwhile
        }
        return new Recorded<InstanceRegistered>(registered, stream.Version, stream.Events[0].Timestamp);
    }

    public async ValueTask<Guid> Handle(ChangeInstance command, CancellationToken ct) =>
        await Retry.OnConflict(sessions, async writer =>
        {
            var stream = await writer.Events.FetchForExclusiveWriting<Instance>(command.InstanceId, ct);
            var events = ChangeInstance.Decide(command, stream.Aggregate, stream.StartingVersion ?? 0);
            if (events.Count == 0) return command.InstanceId; // nothing changed: no event, updated_at stays
            stream.AppendMany(events);
            await writer.SaveChangesAsync(ct);
            return command.InstanceId;
        }, ct);

    public async ValueTask<Unit> Handle(DeleteInstance command, CancellationToken ct) =>
        await Retry.OnConflict(sessions, async writer =>
        {
            var stream = await writer.Events.FetchForExclusiveWriting<Instance>(command.InstanceId, ct);
            stream.AppendOne(DeleteInstance.Decide(command, stream.Aggregate, stream.StartingVersion ?? 0));
            await writer.SaveChangesAsync(ct);
            return Unit.Value;
        }, ct);
}
