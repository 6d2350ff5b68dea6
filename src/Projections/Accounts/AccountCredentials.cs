namespace Sharedcloud.Es.Projections.Accounts;

/// <summary>
/// The secrets of an account, kept out of the event log: a slow salted password hash, and the
/// SHA-256 digest of the API key (never the key itself, so a copy of the database holds no usable
/// key). The key is derived from <see cref="KeySalt"/> with a server-side secret, which is how a
/// repeated login can hand out the same key without the database storing it.
/// </summary>
public sealed class AccountCredentials
{
    public Guid Id { get; set; }
    public string PasswordHash { get; set; } = "";
    public string KeySalt { get; set; } = "";
    public string KeyDigest { get; set; } = "";
}
