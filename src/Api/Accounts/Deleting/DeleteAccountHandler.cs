using Marten;
using Mediator;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections.Accounts;
using Sharedcloud.Es.Domain.Accounts.Deleting;
using Sharedcloud.Es.Domain.Instances;

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
            foreach (var e in instancesDeleted) writer.Events.Append(e.InstanceId, e);
            writer.Delete(credentials);
            keys.Revoke(credentials.KeyDigest, writer);
            return [accountDeleted];
        }, ct);
        keys.EvictRevoked();
        return Unit.Value;
    }
}
