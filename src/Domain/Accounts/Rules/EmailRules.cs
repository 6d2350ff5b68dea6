using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Sharedcloud.Es.Domain.Accounts.Rules;

/// <summary>
/// Django's <c>EmailValidator</c> as of Django 5.1, which accepts internationalised domains by letting any
/// character from U+00A1 to U+FFFF stand for a letter instead of converting them to punycode.
/// </summary>
public static partial class EmailRules
{
    public const string InvalidMessage = "Enter a valid email address.";

    /// <summary>RFC 3696 section 3, counted in code points as Python does.</summary>
    public const int MaxLength = 320;

    private const int MaxIPv6Length = 39;

    public static bool IsValid(string email)
    {
        if (email.Length == 0 || !email.Contains('@') || PythonText.Length(email) > MaxLength) return false;
        var at = email.LastIndexOf('@');
        var (userPart, domainPart) = (email[..at], email[(at + 1)..]);
        return UserPart().IsMatch(FoldCase(userPart))
            && (domainPart == "localhost" || IsValidDomainPart(FoldCase(domainPart)));
    }

    /// <summary>
    /// Django's patterns use re.IGNORECASE, under which [A-Z] also matches these four non-ASCII letters;
    /// folding them to ASCII lets the case-sensitive patterns below agree with Python.
    /// </summary>
    private static string FoldCase(string s) =>
        s.Replace('\u0130', 'I').Replace('\u0131', 'i').Replace('\u017F', 's').Replace('\u212A', 'K');

    private static bool IsValidDomainPart(string domainPart)
    {
        if (DomainPart().IsMatch(domainPart)) return true;
        var literal = LiteralPart().Match(domainPart);
        return literal.Success && (IsIPv4(literal.Groups[1].Value) || IsIPv6(literal.Groups[1].Value));
    }

    /// <summary>Python's <c>ipaddress.IPv4Address</c>: four decimal octets without leading zeros (.NET's parser takes "1.2.3" and octal).</summary>
    private static bool IsIPv4(string s)
    {
        var octets = s.Split('.');
        return octets.Length == 4 && octets.All(o =>
            o.Length is >= 1 and <= 3 && o.All(char.IsAsciiDigit) && (o.Length == 1 || o[0] != '0') && int.Parse(o) <= 255);
    }

    /// <summary>Django's length guard, then <c>ipaddress.IPv6Address</c>, which .NET's parser agrees with on hex digits, ':' and '.'.</summary>
    private static bool IsIPv6(string s) =>
        s.Length <= MaxIPv6Length && IPAddress.TryParse(s, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6;

    // A dot-atom or a quoted string.
    [GeneratedRegex("""
        ^(?:[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+)*
        |"(?:[\x01-\x08\x0B\x0C\x0E-\x1F!#-\[\]-\x7F]|\\[\x01-\x09\x0B\x0C\x0E-\x7F])*")\z
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex UserPart();

    // A hostname label, dot-labels, then a TLD of letters or a punycode label, without a trailing dot.
    // Surrogates are cut out of Django's \u00a1-\uffff because Python's range holds no astral characters.
    [GeneratedRegex("""
        ^[a-zA-Z0-9\u00A1-\uD7FF\uE000-\uFFFF](?:[a-zA-Z0-9\u00A1-\uD7FF\uE000-\uFFFF-]{0,61}[a-zA-Z0-9\u00A1-\uD7FF\uE000-\uFFFF])?
        (?:\.(?!-)[a-zA-Z0-9\u00A1-\uD7FF\uE000-\uFFFF-]{1,63}(?<!-))*
        \.(?!-)(?:[a-zA-Z\u00A1-\uD7FF\uE000-\uFFFF-]{2,63}|[xX][nN]--[a-zA-Z0-9]{1,59})(?<!-)\z
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex DomainPart();

    [GeneratedRegex(@"^\[([A-Fa-f0-9:.]+)\]\z")]
    private static partial Regex LiteralPart();
}
