using Marten;
using Mediator;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Accounts.Changing;
using Sharedcloud.Es.Domain.Accounts.Deleting;
using Sharedcloud.Es.Domain.Accounts.LoggingIn;
using Sharedcloud.Es.Domain.Accounts.Registering;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections.Accounts;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Api.Accounts;

public sealed record GetAccount(Guid AccountId) : IQuery<Account>;

public sealed class AccountHandlers(
    IDocumentSession session, StreamWrites writes, ApiKeys keys, IPasswordHasher<AccountCredentials> hasher,
    KeyCache keyCache) :
    IQueryHandler<GetAccount, Account>,
    ICommandHandler<RegisterAccount, Account>,
    ICommandHandler<LogIn, string>,
    ICommandHandler<ChangeAccount, Account?>,
    ICommandHandler<DeleteAccount>
{
    public async ValueTask<Account> Handle(GetAccount query, CancellationToken ct) =>
        await session.LoadAsync<Account>(query.AccountId, ct) ?? throw new NotFoundException();

    public async ValueTask<Account> Handle(RegisterAccount command, CancellationToken ct) =>
        await UnlessUsernameTaken(writes.StartAsync<Account>(command.AccountId, [RegisterAccount.Decide(command)], writer =>
        {
            var credentials = new AccountCredentials { Id = command.AccountId };
            credentials.PasswordHash = hasher.HashPassword(credentials, command.Password.Value);
            RotateKey(credentials, writer);
            RequestAudit.StampActor(writer, new Actor(command.AccountId, command.Username.Value));
            writer.Store(credentials);
        }, ct));

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
            key = keys.KeyFor(state.Id, credentials.KeySalt);
            if (ApiKeys.Digest(key) != credentials.KeyDigest)
            {
                // The server secret changed since this key was issued: the old key cannot be rebuilt.
                key = RotateKey(credentials, writer);
                events.Add(new AccountKeyRotated(state.Id));
            }
            writer.Store(credentials);
            events.Add(new AccountLoggedIn(state.Id));
            return events;
        }, ct);
        EvictRevokedKeys();
        return key;
    }

    private static FieldErrorsException InvalidCredentials() =>
        new(FieldErrors.For(FieldErrors.NonField, LogIn.InvalidCredentials));

    public async ValueTask<Account?> Handle(ChangeAccount command, CancellationToken ct)
    {
        var changed = await UnlessUsernameTaken(writes.DecideAsync<Account>(command.AccountId, async (state, writer) =>
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
            if (events.OfType<AccountKeyRotated>().Any()) RotateKey(credentials, writer);
            writer.Store(credentials);
            return events;
        }, ct));
        EvictRevokedKeys();
        return changed;
    }

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
            EvictEverywhere(credentials.KeyDigest, writer);
            return [accountDeleted];
        }, ct);
        EvictRevokedKeys();
        return Unit.Value;
    }

    /// <summary>An unknown username costs as much time as a wrong password, so timing tells nothing.</summary>
    private PasswordVerificationResult HashInVain(string password)
    {
        hasher.HashPassword(new AccountCredentials(), password);
        return PasswordVerificationResult.Failed;
    }

    /// <summary>Gives the account a new key; returns it (the database keeps only its digest).</summary>
    private string RotateKey(AccountCredentials credentials, IDocumentSession writer)
    {
        if (credentials.KeyDigest.Length > 0) EvictEverywhere(credentials.KeyDigest, writer);
        credentials.KeySalt = ApiKeys.NewSalt();
        var key = keys.KeyFor(credentials.Id, credentials.KeySalt);
        credentials.KeyDigest = ApiKeys.Digest(key);
        return key;
    }

    private readonly List<string> _revokedDigests = [];

    /// <summary>Every API process drops the key from its cache when the transaction commits (revoked, or its owner renamed).</summary>
    private void EvictEverywhere(string digest, IDocumentSession writer)
    {
        // NOTIFY, not "select pg_notify(...)": a queued command must not return a result set, or Marten
        // reads the batch's later results (the projection upserts' revisions) out of step. NOTIFY takes no
        // parameters; the digest is our own lowercase hex, checked before it is written into the statement.
        if (!digest.All(char.IsAsciiHexDigitLower)) throw new InvalidOperationException("A key digest is not lowercase hex.");
        writer.QueueSqlCommand($"notify {KeyCache.Channel}, '{digest}'");
        _revokedDigests.Add(digest);
    }

    /// <summary>After the commit: this process stops accepting the old keys before it answers.</summary>
    private void EvictRevokedKeys()
    {
        foreach (var digest in _revokedDigests) keyCache.Evict(digest);
        _revokedDigests.Clear();
    }

    /// <summary>The unique index on the username decides races between sign-ups and renames: the loser gets the field error.</summary>
    private static async Task<T> UnlessUsernameTaken<T>(Task<T> write)
    {
        try
        {
            return await write;
        }
        catch (Exception e) when (IsUniqueViolationOn(e, "username"))
        {
            throw new FieldErrorsException(FieldErrors.For("username", AccountRules.UsernameTaken));
        }
    }

    private static bool IsUniqueViolationOn(Exception e, string column)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg
                && (pg.ConstraintName ?? pg.MessageText).Contains(column, StringComparison.OrdinalIgnoreCase))
                return true;
        return false;
    }
}
