using Mediator;
using Microsoft.AspNetCore.Identity;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections.Accounts;
using Sharedcloud.Es.Domain.Accounts.Changing;

namespace Sharedcloud.Es.Api.Accounts.Changing;

public sealed class ChangeAccountHandler(StreamWrites writes, AccountKeys keys, IPasswordHasher<AccountCredentials> hasher)
    : ICommandHandler<ChangeAccount, Account?>
{
    public async ValueTask<Account?> Handle(ChangeAccount command, CancellationToken ct)
    {
        var changed = await Usernames.UnlessTaken(writes.DecideAsync<Account>(command.AccountId, async (state, writer) =>
        {
            var credentials = await writer.LoadAsync<AccountCredentials>(command.AccountId, ct);
            if (state is null || credentials is null) throw new NotFoundException();

            var password = command.Password;
            var passwordIsCurrent = password.IsPresent &&
                hasher.VerifyHashedPassword(credentials, credentials.PasswordHash, password.Value) != PasswordVerificationResult.Failed;
            var events = ChangeAccount.Decide(command, state, passwordIsCurrent);
            if (events.Count == 0) return events;

            if (events.OfType<AccountPasswordChanged>().Any())
                credentials.PasswordHash = hasher.HashPassword(credentials, password.Value);
            // Every change rotates the key, so no cache keeps the old username for the actor of later events.
            if (events.OfType<AccountKeyRotated>().Any()) keys.Rotate(credentials, writer);
            writer.Store(credentials);
            return events;
        }, ct));
        keys.EvictRevoked();
        return changed;
    }
}
