using Marten;

namespace Sharedcloud.Es.Api.Infrastructure.Idempotency;

/// <summary>
/// The key the current request runs under. The middleware sets it for the duration of the request;
/// <see cref="IdempotencyListener"/> reads it in whatever session the handlers open.
/// </summary>
public sealed record IdempotencyClaim(Guid AccountId, string Key, byte[] RequestHash)
{
    private static readonly AsyncLocal<IdempotencyClaim?> CurrentClaim = new();

    public static IdempotencyClaim? Current
    {
        get => CurrentClaim.Value;
        set => CurrentClaim.Value = value;
    }
}

/// <summary>
/// Writes the key's record (without a response yet) in the same transaction as the request's events.
/// Then a crash between the commit and the storing of the response cannot make a retry do the work
/// again: the retry finds the record without a response and is told so (409) instead.
/// </summary>
public sealed class IdempotencyListener : DocumentSessionListenerBase
{
    // "on conflict do nothing": a request may commit more than once (a retried write, or several
    // saves); the first commit's record is the one that counts. No result set: Marten reads the
    // batch's results in order (see AccountHandlers.Revoke).
    private const string InsertClaim =
        $"insert into {IdempotencyStore.TableName} (account_id, key, request_hash, created_at) values (?, ?, ?, now()) " +
        "on conflict (account_id, key) do nothing";

    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        if (IdempotencyClaim.Current is { } claim)
            session.QueueSqlCommand(InsertClaim, claim.AccountId, claim.Key, claim.RequestHash);
        return Task.CompletedTask;
    }
}
