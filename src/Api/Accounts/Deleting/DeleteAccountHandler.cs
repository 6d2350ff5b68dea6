using Marten;
using Mediator;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections.Accounts;
using Sharedcloud.Es.Domain.Accounts.Deleting;
using Sharedcloud.Es.Domain.Functions;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Jobs;
using Sharedcloud.Es.Domain.Jobs.Dispatching;
using Sharedcloud.Es.Domain.Runs;
using Sharedcloud.Es.Projections.Marketplace;

namespace Sharedcloud.Es.Api.Accounts.Deleting;

public sealed class DeleteAccountHandler(StreamWrites writes, AccountKeys keys) : ICommandHandler<DeleteAccount>
{
    public async ValueTask<Unit> Handle(DeleteAccount command, CancellationToken ct)
    {
        await writes.DecideAsync<Account>(command.AccountId, async (state, writer) =>
        {
            var credentials = await writer.LoadAsync<AccountCredentials>(command.AccountId, ct);
            if (state is null || credentials is null) throw new NotFoundException();
            var instanceIds = await writer.Query<Instance>()
                .Where(x => x.AccountId == command.AccountId)
                .Select(x => x.Id)
                .ToListAsync(ct);

            var (accountDeleted, instancesDeleted) = DeleteAccount.Decide(command, state, instanceIds);
            foreach (var e in instancesDeleted)
            {
                await Jobs.JobLocks.ReleaseHeldAsync(writer, e.InstanceId, JobRelease.AccountDeleted, ct);
                writer.Events.Append(e.InstanceId, e);
            }

            // The consumer's side goes whatever its jobs' status: nobody is billed for an unfinished one, and the machine
            // running one gets 404 on its next report.
            var jobs = await Jobs.JobLocks.LockAsync(writer, $"j.{MarketplaceSchema.Columns.AccountId} = ?", ct, command.AccountId);
            var runIds = await writer.Query<Run>().Where(r => r.AccountId == command.AccountId).Select(r => r.Id).ToListAsync(ct);
            var functionIds = await writer.Query<Function>().Where(f => f.AccountId == command.AccountId).Select(f => f.Id).ToListAsync(ct);
            Jobs.JobLocks.ReleaseCounters(writer, jobs.Where(j => !instanceIds.Contains(j.InstanceId ?? Guid.Empty)));
            StreamWrites.AppendElsewhere(writer, Cascade.DeleteJobs(jobs)
                .Concat(runIds.Select(id => new Elsewhere(id, new RunDeleted(id))))
                .Concat(functionIds.Select(id => new Elsewhere(id, new FunctionDeleted(id)))));
            writer.Delete(credentials);
            keys.Revoke(credentials.KeyDigest, writer);
            return [accountDeleted];
        }, ct);
        keys.EvictRevoked();
        return Unit.Value;
    }
}
