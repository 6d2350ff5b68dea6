using System.Text;

namespace Sharedcloud.Es.Domain.Accounts.Rules;

/// <summary>
/// Django's four default password validators, every failure reported, in Django's order:
/// UserAttributeSimilarity, MinimumLength, CommonPassword, NumericPassword.
/// </summary>
public static class PasswordRules
{
    public const int MinLength = 8;
    public const double MaxSimilarity = 0.7;

    public const string TooShortMessage = "This password is too short. It must contain at least 8 characters.";
    public const string TooCommonMessage = "This password is too common.";
    public const string EntirelyNumericMessage = "This password is entirely numeric.";
    public const string TooSimilarToUsernameMessage = "The password is too similar to the username.";
    public const string TooSimilarToEmailMessage = "The password is too similar to the email address.";

    public static IReadOnlyList<string> Validate(string password, string? username, string? email)
    {
        var errors = new List<string>();
        if (IsTooSimilar(password, username)) errors.Add(TooSimilarToUsernameMessage);
        else if (IsTooSimilar(password, email)) errors.Add(TooSimilarToEmailMessage);
        if (PythonText.Length(password) < MinLength) errors.Add(TooShortMessage);
        if (CommonPasswords.Value.Contains(PythonText.Strip(PythonText.Lower(password)))) errors.Add(TooCommonMessage);
        if (PythonText.IsDigit(password)) errors.Add(EntirelyNumericMessage);
        return errors;
    }

    /// <summary>
    /// One attribute of <c>UserAttributeSimilarityValidator</c>: the whole value and each of its \W-separated parts.
    /// Django stops at the first similar attribute, so at most one of username and email is reported.
    /// </summary>
    private static bool IsTooSimilar(string password, string? attribute)
    {
        if (string.IsNullOrEmpty(attribute)) return false;
        var pwd = PythonText.CodePoints(PythonText.Lower(password));
        var value = PythonText.CodePoints(PythonText.Lower(attribute));
        foreach (var part in PythonText.SplitOnNonWord(value).Append(value))
        {
            if (ExceedsMaximumLengthRatio(pwd.Length, part.Length)) continue;
            if (QuickRatio(pwd, part) >= MaxSimilarity) return true;
        }
        return false;
    }

    /// <summary>Django's shortcut: a part a tenth of the password's length or less cannot reach the ratio.</summary>
    private static bool ExceedsMaximumLengthRatio(int passwordLength, int valueLength)
    {
        var lengthBoundSimilarity = MaxSimilarity / 2 * passwordLength;
        return passwordLength >= 10 * valueLength && valueLength < lengthBoundSimilarity;
    }

    /// <summary><c>difflib.SequenceMatcher(a=a, b=b).quick_ratio()</c>: the shared characters counted as multisets, order ignored.</summary>
    private static double QuickRatio(Rune[] a, Rune[] b)
    {
        var available = new Dictionary<Rune, int>();
        foreach (var c in b) available[c] = available.GetValueOrDefault(c) + 1;
        var matches = 0;
        foreach (var c in a)
        {
            if (available.GetValueOrDefault(c) <= 0) continue;
            available[c]--;
            matches++;
        }
        var length = a.Length + b.Length;
        return length == 0 ? 1.0 : 2.0 * matches / length;
    }

    /// <summary>
    /// Django's own list (common-passwords.txt.gz, BSD licence, shipped with Django; this copy comes from
    /// Debian's python3-django package), embedded so the check matches production exactly.
    /// </summary>
    private static readonly Lazy<HashSet<string>> CommonPasswords = new(() =>
    {
        const string resource = "Sharedcloud.Es.Domain.Accounts.Rules.common-passwords.txt.gz";
        using var stream = typeof(PasswordRules).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded resource {resource} is missing.");
        using var reader = new StreamReader(new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress));
        var passwords = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
            passwords.Add(PythonText.Lower(PythonText.Strip(line)));
        return passwords;
    });
}
