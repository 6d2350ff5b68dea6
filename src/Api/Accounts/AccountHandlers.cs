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
using Sharedcloud.Es.Projections.Instances;

namespace Sharedcloud.Es.Api.Accounts;

public sealed record GetAccount(Guid AccountId) : IQuery<AccountDetails>;

public sealed class AccountHandlers(
    IDocumentSession session, ISessionFactory sessions, ApiKeys keys, IPasswordHasher<AccountCredentials> hasher,
    KeyCache keyCache) :
    IQueryHandler<GetAccount, AccountDetails>,
    ICommandHandler<RegisterAccount, Guid>,
    ICommandHandler<LogIn, string>,
    ICommandHandler<ChangeAccount, Guid>,
    ICommandHandler<DeleteAccount>
{
    public async ValueTask<AccountDetails> Handle(GetAccount query, CancellationToken ct) =>
        await session.LoadAsync<AccountDetails>(query.AccountId, ct) ?? throw new NotFoundException();

    public async ValueTask<Guid> Handle(RegisterAccount command, CancellationToken ct)
    {
        var credentials = new AccountCredentials { Id = command.AccountId };
        credentials.PasswordHash = hasher.HashPassword(credentials, command.Password.Value);
        RotateKey(credentials, session);
        RequestAudit.StampActor(session, new Actor(command.AccountId, command.Username.Value));
        session.Events.StartStream<Account>(command.AccountId, RegisterAccount.Decide(command));
        session.Store(credentials);
        await SaveUnlessUsernameTaken(session, ct);
        return command.AccountId;
    }

    public async ValueTask<string> Handle(LogIn command, CancellationToken ct)
    {
        var account = await session.Query<AccountDetails>().FirstOrDefaultAsync(x => x.Username == command.Username.Value, ct);
        var found = account is null ? null : await session.LoadAsync<AccountCredentials>(account.Id, ct);
        var verdict = found is null
            ? HashInVain(command.Password.Value)
            : hasher.VerifyHashedPassword(found, found.PasswordHash, command.Password.Value);
        if (verdict == PasswordVerificationResult.Failed) throw InvalidCredentials();

        // Logins to one account race (a client on several machines): the write appends at the version
        // it read and starts over on a lost race, so each gets 200 and the same key, never a 500. Each
        // lost race means another login got through, so N racing logins need at most N attempts; logins
        // get several of Retry's rounds before giving up with 409.
        var id = found!.Id;
        for (var round = 1; ; round++)
        {
            try
            {
                return await LogInOnce(new Actor(id, account!.Username), found.PasswordHash, verdict, command, ct);
            }
            catch (ConflictException) when (round < LoginRounds)
            {
            }
        }
    }

    private const int LoginRounds = 4;

    private Task<string> LogInOnce(Actor actor, string verifiedHash, PasswordVerificationResult verdict, LogIn command,
        CancellationToken ct) =>
        Retry.OnConflict(sessions, async writer =>
        {
            var id = actor.AccountId;
            RequestAudit.StampActor(writer, actor);
            var stream = await writer.Events.FetchForWriting<Account>(id, ct);
            var credentials = await writer.LoadAsync<AccountCredentials>(id, ct);
            if (stream.Aggregate is not { IsDeleted: false } || credentials is null) throw InvalidCredentials();
            if (credentials.PasswordHash != verifiedHash) // changed meanwhile: judge the password again
            {
                verdict = hasher.VerifyHashedPassword(credentials, credentials.PasswordHash, command.Password.Value);
                if (verdict == PasswordVerificationResult.Failed) throw InvalidCredentials();
            }

            if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
                credentials.PasswordHash = hasher.HashPassword(credentials, command.Password.Value);
            var key = keys.KeyFor(id, credentials.KeySalt);
            if (ApiKeys.Digest(key) != credentials.KeyDigest)
            {
                // The server secret changed since this key was issued: the old key cannot be rebuilt.
                key = RotateKey(credentials, writer);
                stream.AppendOne(new AccountKeyRotated(id));
            }
            writer.Store(credentials);
            stream.AppendOne(new AccountLoggedIn(id));
            await writer.SaveChangesAsync(ct);
            EvictRevokedKeys();
            return key;
        }, ct);

    private static DomainValidationException InvalidCredentials() =>
        new(FieldErrors.For(FieldErrors.NonField, LogIn.InvalidCredentials));

    public async ValueTask<Guid> Handle(ChangeAccount command, CancellationToken ct) =>
        await Retry.OnConflict(sessions, async writer =>
        {
            var stream = await writer.Events.FetchForExclusiveWriting<Account>(command.AccountId, ct);
            var credentials = await writer.LoadAsync<AccountCredentials>(command.AccountId, ct);
            if (stream.Aggregate is not { IsDeleted: false } state || credentials is null) throw new NotFoundException();

            var password = command.Password;
            var passwordIsCurrent = password.IsPresent &&
                hasher.VerifyHashedPassword(credentials, credentials.PasswordHash, password.Value) != PasswordVerificationResult.Failed;
            var events = ChangeAccount.Decide(command, state, stream.StartingVersion ?? 0, passwordIsCurrent);
            if (events.Count == 0) return command.AccountId;

            if (events.OfType<AccountPasswordChanged>().Any())
                credentials.PasswordHash = hasher.HashPassword(credentials, password.Value);
            // Every change rotates the key, so no cache keeps the old username for the actor of later events.
            if (events.OfType<AccountKeyRotated>().Any()) RotateKey(credentials, writer);
            stream.AppendMany(events);
            writer.Store(credentials);
            await SaveUnlessUsernameTaken(writer, ct);
            EvictRevokedKeys();
            return command.AccountId;
        }, ct);

    public async ValueTask<Unit> Handle(DeleteAccount command, CancellationToken ct) =>
        await Retry.OnConflict(sessions, async writer =>
        {
            var stream = await writer.Events.FetchForExclusiveWriting<Account>(command.AccountId, ct);
            var credentials = await writer.LoadAsync<AccountCredentials>(command.AccountId, ct);
            if (stream.Aggregate is not { IsDeleted: false } state || credentials is null) throw new NotFoundException();
            var instanceIds = await writer.Query<InstanceDetails>()
                .Where(x => x.AccountId == command.AccountId)
                .Select(x => x.Id)
                .ToListAsync(ct);

            var (accountDeleted, instancesDeleted) = DeleteAccount.Decide(command, state, stream.StartingVersion ?? 0, instanceIds);
            foreach (var e in instancesDeleted) writer.Events.Append(e.InstanceId, e);
            stream.AppendOne(accountDeleted);
            writer.Delete(credentials);
            EvictEverywhere(credentials.KeyDigest, writer);
            await writer.SaveChangesAsync(ct);
            EvictRevokedKeys();
            return Unit.Value;
        }, ct);

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

    private static async Task SaveUnlessUsernameTaken(IDocumentSession writer, CancellationToken ct)
    {
        try
        {
            await writer.SaveChangesAsync(ct);
        }
        catch (Exception e) when (IsUniqueViolationOn(e, "username"))
        {
            throw new DomainValidationException(FieldErrors.For("username", AccountRules.UsernameTaken));
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
