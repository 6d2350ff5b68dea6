using Mediator;
using Microsoft.AspNetCore.Identity;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Projections.Accounts;
using Sharedcloud.Es.Domain.Accounts.Registering;

namespace Sharedcloud.Es.Api.Accounts.SigningUp;

public sealed class SignUpHandler(StreamWrites writes, AccountKeys keys, IPasswordHasher<AccountCredentials> hasher)
    : ICommandHandler<RegisterAccount, Account>
{
    public async ValueTask<Account> Handle(RegisterAccount command, CancellationToken ct) =>
        await Usernames.UnlessTaken(writes.StartAsync<Account>(command.AccountId, [RegisterAccount.Decide(command)], writer =>
        {
            var credentials = new AccountCredentials { Id = command.AccountId };
            credentials.PasswordHash = hasher.HashPassword(credentials, command.Password.Value);
            keys.Rotate(credentials, writer);
            RequestAudit.StampActor(writer, new Actor(command.AccountId, command.Username.Value));
            writer.Store(credentials);
        }, ct));
}
