using Marten;
using Mediator;
using Microsoft.AspNetCore.Identity;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections.Accounts;
using Sharedcloud.Es.Domain.Accounts.LoggingIn;

namespace Sharedcloud.Es.Api.Accounts.LoggingIn;

public sealed class LogInHandler(
    IQuerySession session, StreamWrites writes, ApiKeys apiKeys, AccountKeys keys, IPasswordHasher<AccountCredentials> hasher)
    : ICommandHandler<LogIn, string>
{
    public async ValueTask<string> Handle(LogIn command, CancellationToken ct)
    {
        var account = await session.Query<Account>().FirstOrDefaultAsync(x => x.Username == command.Username.Value, ct);
        var found = account is null ? null : await session.LoadAsync<AccountCredentials>(account.Id, ct);
        var verdict = found is null
            ? HashInVain(command.Password.Value)
            : hasher.VerifyHashedPassword(found, found.PasswordHash, command.Password.Value);
        if (verdict == PasswordVerificationResult.Failed) throw InvalidCredentials();

        // Logins to one account (a client on several machines) queue on its stream's lock, as every write does.
        var key = "";
        await writes.DecideAsync<Account>(found!.Id, async (state, writer) =>
        {
            if (state is null) throw InvalidCredentials(); // deleted meanwhile
            RequestAudit.StampActor(writer, new Actor(state.Id, state.Username));
            var credentials = await writer.LoadAsync<AccountCredentials>(state.Id, ct) ?? throw InvalidCredentials();
            if (credentials.PasswordHash != found.PasswordHash) // changed meanwhile: judge the password again
            {
                verdict = hasher.VerifyHashedPassword(credentials, credentials.PasswordHash, command.Password.Value);
                if (verdict == PasswordVerificationResult.Failed) throw InvalidCredentials();
            }

            var events = new List<object>();
            if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
                credentials.PasswordHash = hasher.HashPassword(credentials, command.Password.Value);
            key = apiKeys.KeyFor(state.Id, credentials.KeySalt);
            if (ApiKeys.Digest(key) != credentials.KeyDigest)
            {
                // The server secret changed since this key was issued: the old key cannot be rebuilt.
                key = keys.Rotate(credentials, writer);
                events.Add(new AccountKeyRotated(state.Id));
            }
            writer.Store(credentials);
            events.Add(new AccountLoggedIn(state.Id));
            return events;
        }, ct);
        keys.EvictRevoked();
        return key;
    }

    private static FieldErrorsException InvalidCredentials() =>
        new(FieldErrors.For(FieldErrors.NonField, LogIn.InvalidCredentials));

    /// <summary>An unknown username costs as much time as a wrong password, so timing tells nothing.</summary>
    private PasswordVerificationResult HashInVain(string password)
    {
        hasher.HashPassword(new AccountCredentials(), password);
        return PasswordVerificationResult.Failed;
    }
}
