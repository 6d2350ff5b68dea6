using Marten;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Projections.Accounts;

namespace Sharedcloud.Es.Api.Accounts;

/// <summary>
/// The keys a write of an account gives out and revokes: a new key's digest in the credentials, and the old one evicted
/// from every process's cache once the write commits. One per request (scoped): it remembers what the write revoked.
/// </summary>
public sealed class AccountKeys(ApiKeys keys, KeyCache keyCache)
{
    private readonly List<string> _revokedDigests = [];

    /// <summary>Gives the account a new key; returns it (the database keeps only its digest).</summary>
    public string Rotate(AccountCredentials credentials, IDocumentSession writer)
    {
        if (credentials.KeyDigest.Length > 0) Revoke(credentials.KeyDigest, writer);
        credentials.KeySalt = ApiKeys.NewSalt();
        var key = keys.KeyFor(credentials.Id, credentials.KeySalt);
        credentials.KeyDigest = ApiKeys.Digest(key);
        return key;
    }

    /// <summary>Every API process drops the key from its cache when the transaction commits (revoked, or its owner renamed).</summary>
    public void Revoke(string digest, IDocumentSession writer)
    {
        // NOTIFY, not "select pg_notify(...)": a queued command must not return a result set, or Marten
        // reads the batch's later results (the projection upserts' revisions) out of step. NOTIFY takes no
        // parameters; the digest is our own lowercase hex, checked before it is written into the statement.
        if (!digest.All(char.IsAsciiHexDigitLower)) throw new InvalidOperationException("A key digest is not lowercase hex.");
        writer.QueueSqlCommand($"notify {KeyCache.Channel}, '{digest}'");
        _revokedDigests.Add(digest);
    }

    /// <summary>After the commit: this process stops accepting the old keys before it answers.</summary>
    public void EvictRevoked()
    {
        foreach (var digest in _revokedDigests) keyCache.Evict(digest);
        _revokedDigests.Clear();
    }
}
