using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Sharedcloud.Es.Api.Auth;

public sealed class AuthOptions
{
    public const string Section = "Auth";
    /// <summary>Server-side secret the API keys are derived from. Never stored in the database.</summary>
    public string TokenSecret { get; set; } = "";
}

/// <summary>
/// API keys in the DRF format (40 lowercase hex characters). A key is HMAC(secret, account, salt):
/// the database keeps the salt and the key's SHA-256 digest, so a copy of it cannot produce or
/// reveal a usable key, yet every login hands out the same key until the salt is rotated.
/// </summary>
public sealed class ApiKeys(IOptions<AuthOptions> options)
{
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.TokenSecret);

    public static string NewSalt() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public string KeyFor(Guid accountId, string salt)
    {
        var mac = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes($"{accountId:N}:{salt}"));
        return Convert.ToHexStringLower(mac, 0, 20);
    }

    public static string Digest(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
