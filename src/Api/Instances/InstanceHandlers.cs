using Marten;
using Mediator;
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

/// <summary>The caller's instances, newest first.</summary>
public sealed record ListInstances(Guid AccountId) : IQuery<IReadOnlyList<InstanceDetails>>;

public sealed class InstanceHandlers(IDocumentSession session, ISessionFactory sessions) :
    IQueryHandler<GetInstance, InstanceDetails>,
    IQueryHandler<ListInstances, IReadOnlyList<InstanceDetails>>,
    ICommandHandler<RegisterInstance, Guid>,
    ICommandHandler<ChangeInstance, Guid>,
    ICommandHandler<DeleteInstance>
{
    public async ValueTask<InstanceDetails> Handle(GetInstance query, CancellationToken ct)
    {
        var details = await session.LoadAsync<InstanceDetails>(query.InstanceId, ct);
        // Another account's instance does not exist for the caller: 404, never 403.
        return details is not null && details.AccountId == query.AccountId ? details : throw new NotFoundException();
    }

    public async ValueTask<IReadOnlyList<InstanceDetails>> Handle(ListInstances query, CancellationToken ct) =>
        await session.Query<InstanceDetails>()
            .Where(x => x.AccountId == query.AccountId)
            .OrderByDescending(x => x.CreatedAt)
            .ToListAsync(ct);

    public async ValueTask<Guid> Handle(RegisterInstance command, CancellationToken ct)
    {
        var registered = RegisterInstance.Decide(command);
        // Hold the owner's account stream (shared: creates do not wait for each other) so that an
        // account deletion, which locks it exclusively, either sees this instance or happens first.
        await session.BeginTransactionAsync(ct);
        var owners = await session.QueryAsync<int>(
            $"select 1 from {MartenConfiguration.Schema}.mt_streams s join {MartenConfiguration.Schema}.mt_doc_accountdetails a on a.id = s.id where s.id = ? for share of s",
            ct, command.AccountId);
        if (owners.Count == 0) throw new NotFoundException();
        session.Events.StartStream<Instance>(command.InstanceId, registered);
        await session.SaveChangesAsync(ct);
        return command.InstanceId;
    }

    public async ValueTask<Guid> Handle(ChangeInstance command, CancellationToken ct) =>
        await Retry.OnConflict(sessions, async writer =>
        {
            var stream = await writer.Events.FetchForExclusiveWriting<Instance>(command.InstanceId, ct);
            var events = ChangeInstance.Decide(command, stream.Aggregate);
            if (events.Count == 0) return command.InstanceId; // nothing changed: no event, updated_at stays
            stream.AppendMany(events);
            await writer.SaveChangesAsync(ct);
            return command.InstanceId;
        });

    public async ValueTask<Unit> Handle(DeleteInstance command, CancellationToken ct) =>
        await Retry.OnConflict(sessions, async writer =>
        {
            var stream = await writer.Events.FetchForExclusiveWriting<Instance>(command.InstanceId, ct);
            stream.AppendOne(DeleteInstance.Decide(command, stream.Aggregate));
            await writer.SaveChangesAsync(ct);
            return Unit.Value;
        });
}
