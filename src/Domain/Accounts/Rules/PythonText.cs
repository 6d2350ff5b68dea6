using System.Globalization;
using System.Text;

namespace Sharedcloud.Es.Domain.Accounts.Rules;

/// <summary>
/// The parts of Python's <c>str</c> that Django's validators depend on. Python counts and compares code
/// points, not UTF-16 units, so lengths and similarity are computed on runes.
/// </summary>
internal static class PythonText
{
    public static Rune[] CodePoints(string s) => s.EnumerateRunes().ToArray();

    public static int Length(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    /// <summary><c>\w</c> of a <c>str</c> pattern: <c>str.isalnum()</c> or <c>_</c>, i.e. every letter and number category.</summary>
    public static bool IsWordChar(Rune r) => Rune.IsLetter(r) || Rune.IsNumber(r) || r.Value == '_';

    /// <summary><c>str.isdigit()</c>: not empty and every character has a digit value, so "²" counts and "½" does not.</summary>
    public static bool IsDigit(string s)
    {
        if (s.Length == 0) return false;
        for (var i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1)
        {
            if (CharUnicodeInfo.GetDigitValue(s, i) < 0) return false;
        }
        return true;
    }

    /// <summary>
    /// <c>str.lower()</c>: .NET's invariant mapping plus Python's two special cases, U+0130 becoming two
    /// characters and a capital sigma that ends a word becoming the final form.
    /// </summary>
    public static string Lower(string s)
    {
        s = s.Replace("\u0130", "i\u0307");
        var lower = s.ToLowerInvariant();
        if (!s.Contains('\u03A3')) return lower;
        var chars = lower.ToCharArray();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\u03A3' && IsFinalSigma(s, i)) chars[i] = '\u03C2';
        }
        return new string(chars);
    }

    /// <summary>Unicode's Final_Sigma context: a cased letter before and none after, case-ignorable ones skipped.</summary>
    private static bool IsFinalSigma(string s, int sigma)
    {
        Rune r = default;
        var before = s.AsSpan(0, sigma);
        while (!before.IsEmpty)
        {
            Rune.DecodeLastFromUtf16(before, out r, out var width);
            if (!IsCaseIgnorable(r)) break;
            before = before[..^width];
        }
        if (before.IsEmpty || !IsCased(r)) return false;
        var after = s.AsSpan(sigma + 1);
        while (!after.IsEmpty)
        {
            Rune.DecodeFromUtf16(after, out r, out var width);
            if (!IsCaseIgnorable(r)) return !IsCased(r);
            after = after[width..];
        }
        return true;
    }

    private static bool IsCased(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        || Rune.ToLowerInvariant(r) != r || Rune.ToUpperInvariant(r) != r
        || r.Value is 0xAA or 0xBA or >= 0x1F130 and <= 0x1F149 or >= 0x1F150 and <= 0x1F169 or >= 0x1F170 and <= 0x1F189;

    private static bool IsCaseIgnorable(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || r.Value is '\'' or '.' or ':' or '\u00B7' or '\u0387' or '\u055F' or '\u05F4' or '\u2018' or '\u2019'
            or '\u2024' or '\u2027' or '\uFE13' or '\uFE52' or '\uFE55' or '\uFF07' or '\uFF0E' or '\uFF1A';

    /// <summary><c>str.strip()</c>; Python's whitespace also takes in the separators U+001C..U+001F.</summary>
    public static string Strip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsSpace(s[start])) start++;
        while (end > start && IsSpace(s[end - 1])) end--;
        return s[start..end];
    }

    private static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    /// <summary><c>re.split(r"\W+", s)</c>, empty leading and trailing parts included.</summary>
    public static List<Rune[]> SplitOnNonWord(Rune[] s)
    {
        var parts = new List<Rune[]>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (IsWordChar(s[i])) continue;
            parts.Add(s[start..i]);
            while (i + 1 < s.Length && !IsWordChar(s[i + 1])) i++;
            start = i + 1;
        }
        parts.Add(s[start..]);
        return parts;
    }
}
