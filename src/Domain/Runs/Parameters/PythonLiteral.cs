using System.Globalization;
using System.Numerics;
using System.Text;

namespace Sharedcloud.Es.Domain.Runs.Parameters;

/// <summary>
/// A value of Python's literal syntax, as <c>ast.literal_eval</c> would produce it. The API shows it back with
/// <see cref="PythonLiteral.Repr"/> and a job hands it to the consumer's code in that code's own language, so the
/// value is kept as Python typed it (an int is not a float, a bool is not an int) rather than as JSON would.
/// </summary>
public abstract record PyValue
{
    /// <summary>Python's repr, so that a failing comparison of values reads as the consumer wrote them.</summary>
    public sealed override string ToString() => PythonLiteral.Repr(this);
}

/// <summary>A Python int, of any size, as Python's own ints are.</summary>
public sealed record PyInt(BigInteger Value) : PyValue;

/// <summary>A Python float: always finite, since no literal makes an infinity or a NaN here.</summary>
public sealed record PyFloat(double Value) : PyValue;

/// <summary>A Python 3 str: always well-formed Unicode (no lone surrogates), so that it can travel as UTF-8.</summary>
public sealed record PyStr(string Value) : PyValue;

public sealed record PyBool(bool Value) : PyValue;

public sealed record PyNone : PyValue
{
    public static readonly PyNone Instance = new();
}

/// <summary>A Python tuple; equal to another with equal items in the same order, as in Python.</summary>
public sealed record PyTuple(IReadOnlyList<PyValue> Items) : PyValue
{
    public bool Equals(PyTuple? other) =>
        other is not null && (ReferenceEquals(this, other) || Items.SequenceEqual(other.Items));

    public override int GetHashCode() => PyItems.HashCode(Items, 1);
}

/// <summary>A Python list; equal to another with equal items in the same order, as in Python.</summary>
public sealed record PyList(IReadOnlyList<PyValue> Items) : PyValue
{
    public bool Equals(PyList? other) =>
        other is not null && (ReferenceEquals(this, other) || Items.SequenceEqual(other.Items));

    public override int GetHashCode() => PyItems.HashCode(Items, 2);
}

file static class PyItems
{
    public static int HashCode(IReadOnlyList<PyValue> items, int kind)
    {
        var hash = new HashCode();
        hash.Add(kind);
        foreach (var item in items) hash.Add(item);
        return hash.ToHashCode();
    }
}

/// <summary>
/// A run's <c>parameters</c> in the Python literal syntax the consumer writes them in, read without evaluating
/// anything, and the ways each job's tuple is written back: to the API (<see cref="Repr"/>) and into the code a
/// provider runs (<see cref="ToPortablePython"/>, <see cref="ToJavaScript"/>).
/// </summary>
/// <remarks>
/// What is accepted follows Python 3's <c>ast.literal_eval</c> (3.11), with these deliberate differences, all
/// refusals of what Python would take: <c>...</c> (Ellipsis), bytes, complex numbers, sets and dicts have no
/// <see cref="PyValue"/>; a float literal too large for a double (<c>1e400</c>, which Python reads as inf) is
/// refused so that no job ever gets an infinity; an int of more than 4300 decimal digits is refused as Python
/// 3.11 does (its repr would fail there); <c>\N{...}</c> escapes are refused (.NET has no Unicode name
/// table); and escapes or text that would make a lone surrogate are refused, since such a str cannot be encoded
/// as UTF-8 and would not survive the trip to the provider. Nesting is limited to 100 brackets (Python itself
/// stops at 200), which also bounds the parser's recursion.
/// </remarks>
public static class PythonLiteral
{
    /// <summary>The one error message for any refused input.</summary>
    public const string TupleOfTuplesExpected = "Enter a tuple of tuples, such as ((1,), (2,)).";

    private const int MaxDepth = 100;

    /// <summary>
    /// Python's limit on the digits of an int's decimal form (3.11 and the security releases before it), which it
    /// applies to decimal literals and to repr: one a job's tuple must always have. It also keeps the quadratic
    /// cost of writing a huge int in decimal small (a million digits would take .NET tens of seconds).
    /// </summary>
    private const int MaxIntDigits = 4300;

    private static readonly BigInteger IntLimit = BigInteger.Pow(10, MaxIntDigits);

    /// <summary>
    /// Reads <paramref name="text"/> as a non-empty tuple of at most <paramref name="maxTuples"/> tuples, one per
    /// job. A refusal does not say why: the consumer gets <see cref="TupleOfTuplesExpected"/> whatever went wrong.
    /// </summary>
    public static bool TryParseTupleOfTuples(string text, int maxTuples, out IReadOnlyList<PyTuple> tuples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTuples, 1);
        tuples = [];
        if (text is null || !IsWellFormed(text)) return false;
        if (!new Parser(text).TryParse(out var value)) return false;
        if (value is not PyTuple { Items.Count: > 0 } outer || outer.Items.Count > maxTuples) return false;
        var result = new PyTuple[outer.Items.Count];
        for (var i = 0; i < result.Length; i++)
        {
            if (outer.Items[i] is not PyTuple inner) return false;
            result[i] = inner;
        }
        tuples = result;
        return true;
    }

    /// <summary>Python 3's <c>repr()</c> of the value: what the API shows as a job's <c>arguments</c>.</summary>
    public static string Repr(PyValue value)
    {
        var sb = new StringBuilder();
        Write(sb, value, Style.Repr);
        return sb.ToString();
    }

    /// <summary>
    /// An ASCII-only Python literal of the value that means the same under both Python 2.7 and Python 3, because
    /// the python27 and python36 runtimes get the same wrapped code: strings are <c>u'...'</c> (Python 2's str
    /// would be bytes) with every non-ASCII or control character escaped (Python 2 would read raw non-ASCII as
    /// Latin-1 without a coding declaration); ints carry no <c>L</c> (Python 3 refuses it, Python 2 makes a long
    /// on its own); floats are written with their shortest round-trip digits, which both versions read back
    /// exactly.
    /// </summary>
    public static string ToPortablePython(PyValue value)
    {
        var sb = new StringBuilder();
        Write(sb, value, Style.Portable);
        return sb.ToString();
    }

    /// <summary>
    /// A JavaScript expression of the value for the node runtime: tuples and lists both become arrays, None null.
    /// JavaScript has one number type, so an int beyond ±2^53 loses precision (and one beyond the double range
    /// becomes Infinity) and an int and a float of the same value are the same number. Strings are ASCII-only
    /// with JSON-style escapes plus U+2028/U+2029, which node 8 (ES2017) would not take raw in a string literal.
    /// </summary>
    public static string ToJavaScript(PyValue value)
    {
        var sb = new StringBuilder();
        Write(sb, value, Style.JavaScript);
        return sb.ToString();
    }

    private enum Style { Repr, Portable, JavaScript }

    private static void Write(StringBuilder sb, PyValue value, Style style)
    {
        switch (value)
        {
            case PyInt i:
                sb.Append(i.Value.ToString(CultureInfo.InvariantCulture));
                break;
            case PyFloat f:
                sb.Append(FloatRepr(f.Value));
                break;
            case PyStr s:
                switch (style)
                {
                    case Style.Repr: WriteReprString(sb, s.Value); break;
                    case Style.Portable: WritePortableString(sb, s.Value); break;
                    default: WriteJavaScriptString(sb, s.Value); break;
                }
                break;
            case PyBool b:
                sb.Append(style == Style.JavaScript ? (b.Value ? "true" : "false") : (b.Value ? "True" : "False"));
                break;
            case PyNone:
                sb.Append(style == Style.JavaScript ? "null" : "None");
                break;
            case PyTuple t when style == Style.JavaScript:
                WriteItems(sb, t.Items, style, '[', ']', oneTrailingComma: false);
                break;
            case PyTuple t:
                WriteItems(sb, t.Items, style, '(', ')', oneTrailingComma: true);
                break;
            case PyList l:
                WriteItems(sb, l.Items, style, '[', ']', oneTrailingComma: false);
                break;
            default:
                throw new ArgumentException($"Unknown Python value {value.GetType().Name}.", nameof(value));
        }
    }

    private static void WriteItems(
        StringBuilder sb, IReadOnlyList<PyValue> items, Style style, char open, char close, bool oneTrailingComma)
    {
        sb.Append(open);
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            Write(sb, items[i], style);
        }
        if (oneTrailingComma && items.Count == 1) sb.Append(',');
        sb.Append(close);
    }

    /// <summary>
    /// Python's <c>float.__repr__</c>: the shortest digits that read back as the same double (which .NET's "R"
    /// also gives), laid out as Python does, in exponent form when the decimal exponent is below -4 or at least 16.
    /// The result is also a valid JavaScript number literal.
    /// </summary>
    private static string FloatRepr(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException("Only finite floats are Python literals.", nameof(value));
        var sign = double.IsNegative(value) ? "-" : "";
        if (value == 0) return sign + "0.0";
        var r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? r : r[..e];
        var exponent = e < 0 ? 0 : int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');
        var digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        // decpt: the value is 0.<digits> × 10^decpt, as in Python's format_float_short.
        var decpt = (point < 0 ? mantissa.Length : point) + exponent;
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits[leadingZeros..].TrimEnd('0');
        decpt -= leadingZeros;

        if (decpt <= -4 || decpt > 16)
        {
            var exp = decpt - 1;
            var head = digits.Length > 1 ? digits[..1] + "." + digits[1..] : digits;
            return sign + head + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        if (decpt <= 0) return sign + "0." + new string('0', -decpt) + digits;
        if (decpt >= digits.Length) return sign + digits + new string('0', decpt - digits.Length) + ".0";
        return sign + digits[..decpt] + "." + digits[decpt..];
    }

    private static void WriteReprString(StringBuilder sb, string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        foreach (var rune in s.EnumerateRunes())
        {
            var c = rune.Value;
            if (c == quote || c == '\\') sb.Append('\\').Append((char)c);
            else if (c == '\t') sb.Append(@"\t");
            else if (c == '\n') sb.Append(@"\n");
            else if (c == '\r') sb.Append(@"\r");
            else if (c < 0x20 || c == 0x7f) AppendHexEscape(sb, c);
            else if (c < 0x7f || IsPrintable(rune)) sb.Append(rune.ToString());
            else AppendHexEscape(sb, c);
        }
        sb.Append(quote);
    }

    private static void WritePortableString(StringBuilder sb, string s)
    {
        sb.Append("u'");
        foreach (var rune in s.EnumerateRunes())
        {
            var c = rune.Value;
            if (c is '\'' or '\\') sb.Append('\\').Append((char)c);
            else if (c == '\t') sb.Append(@"\t");
            else if (c == '\n') sb.Append(@"\n");
            else if (c == '\r') sb.Append(@"\r");
            else if (c is >= 0x20 and < 0x7f) sb.Append((char)c);
            else AppendHexEscape(sb, c);
        }
        sb.Append('\'');
    }

    private static void WriteJavaScriptString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                case '\b': sb.Append(@"\b"); break;
                case '\f': sb.Append(@"\f"); break;
                default:
                    if (ch is >= ' ' and < '\x7f') sb.Append(ch);
                    else sb.Append(@"\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Python's choice of escape by size: <c>\xNN</c>, <c>\uNNNN</c> or <c>\UNNNNNNNN</c>, in lowercase.</summary>
    private static void AppendHexEscape(StringBuilder sb, int c)
    {
        if (c <= 0xff) sb.Append(@"\x").Append(c.ToString("x2", CultureInfo.InvariantCulture));
        else if (c <= 0xffff) sb.Append(@"\u").Append(c.ToString("x4", CultureInfo.InvariantCulture));
        else sb.Append(@"\U").Append(c.ToString("x8", CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Python's <c>str.isprintable</c> for one character, which decides what repr escapes: everything but other
    /// (Cc, Cf, Cs, Co, Cn) and separators, the space excepted. .NET's Unicode tables may be newer than Python's,
    /// so a character assigned only in between reads as printable here and is escaped by Python.
    /// </summary>
    private static bool IsPrintable(Rune rune)
    {
        if (rune.Value == ' ') return true;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.SpaceSeparator => false,
            _ => true,
        };
    }

    /// <summary>
    /// Python refuses source with a NUL character; a lone surrogate could come from a JSON escape but is no text
    /// Python could have been given.
    /// </summary>
    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(c)) return false;
        }
        return true;
    }

    private enum TokenKind { End, Newline, LParen, RParen, LBracket, RBracket, Comma, Plus, Minus, Number, String, Constant }

    private readonly record struct Token(TokenKind Kind, PyValue? Value = null, string? Text = null);

    /// <summary>
    /// Python's tokenizer, cut down to the tokens a literal can have. Outside brackets a line end is a token and
    /// indentation matters (as in Python's eval mode); inside brackets both are whitespace.
    /// </summary>
    private sealed class Lexer
    {
        private readonly string _s;
        private int _pos;
        private int _depth;
        private bool _atLineStart = true;

        public Lexer(string text)
        {
            _s = text.Replace("\r\n", "\n").Replace('\r', '\n');
            // ast.literal_eval strips leading spaces and tabs (only those) before parsing.
            while (_pos < _s.Length && _s[_pos] is ' ' or '\t') _pos++;
        }

        private char Peek(int ahead = 0) => _pos + ahead < _s.Length ? _s[_pos + ahead] : '\0';

        private bool AtEnd => _pos >= _s.Length;

        public bool TryNext(out Token token)
        {
            token = default;
            if (!SkipSpace(out var newline)) return false;
            if (newline)
            {
                token = new Token(TokenKind.Newline);
                return true;
            }
            if (AtEnd)
            {
                token = new Token(TokenKind.End);
                return true;
            }
            var c = Peek();
            switch (c)
            {
                case '(':
                    _pos++; _depth++; token = new Token(TokenKind.LParen); return true;
                case '[':
                    _pos++; _depth++; token = new Token(TokenKind.LBracket); return true;
                case ')':
                    _pos++; _depth = Math.Max(0, _depth - 1); token = new Token(TokenKind.RParen); return true;
                case ']':
                    _pos++; _depth = Math.Max(0, _depth - 1); token = new Token(TokenKind.RBracket); return true;
                case ',':
                    _pos++; token = new Token(TokenKind.Comma); return true;
                case '+':
                    _pos++; token = new Token(TokenKind.Plus); return true;
                case '-':
                    _pos++; token = new Token(TokenKind.Minus); return true;
                case '\'' or '"':
                    return TryString(raw: false, out token);
            }
            if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(Peek(1)))) return TryNumber(out token);
            if (char.IsAsciiLetter(c) || c == '_') return TryName(out token);
            return false;
        }

        /// <summary>
        /// Skips what is not a token; <paramref name="newline"/> is set at the end of a logical line outside
        /// brackets. False for what Python refuses there: a stray backslash, an indented line, other characters.
        /// </summary>
        private bool SkipSpace(out bool newline)
        {
            newline = false;
            while (true)
            {
                if (_depth == 0 && _atLineStart)
                {
                    if (!SkipBlankLines()) return false;
                    if (AtEnd) return true;
                }
                if (AtEnd) return true;
                switch (Peek())
                {
                    case ' ' or '\t' or '\f':
                        _pos++;
                        break;
                    case '#':
                        SkipComment();
                        break;
                    case '\\':
                        if (!SkipContinuation()) return false;
                        break;
                    case '\n':
                        _pos++;
                        if (_depth == 0)
                        {
                            _atLineStart = true;
                            newline = true;
                            return SkipBlankLines();
                        }
                        break;
                    default:
                        return true;
                }
            }
        }

        /// <summary>
        /// At the start of a line outside brackets: skips blank and comment-only lines and refuses an indented one
        /// (Python's "unexpected indent", which it also raises for a last line of only spaces or tabs).
        /// </summary>
        private bool SkipBlankLines()
        {
            while (true)
            {
                var column = 0;
                while (!AtEnd && Peek() is ' ' or '\t' or '\f')
                {
                    column = Peek() == '\f' ? 0 : column + 1;
                    _pos++;
                }
                if (AtEnd) return column == 0;
                switch (Peek())
                {
                    case '\n':
                        _pos++;
                        continue;
                    case '#':
                        SkipComment();
                        continue;
                    case '\\':
                        if (column > 0 || !SkipContinuation()) return false;
                        continue;
                }
                if (column > 0) return false;
                _atLineStart = false;
                return true;
            }
        }

        private void SkipComment()
        {
            while (!AtEnd && Peek() != '\n') _pos++;
        }

        /// <summary>A backslash joins the next line, so it must end its line, and some line must follow.</summary>
        private bool SkipContinuation()
        {
            if (Peek(1) != '\n') return false;
            _pos += 2;
            return !AtEnd;
        }

        private bool TryName(out Token token)
        {
            token = default;
            var start = _pos;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(Peek()) || Peek() == '_')) _pos++;
            if (!AtEnd && Peek() > '\x7f') return false; // the name goes on with non-ASCII letters: some other name
            var name = _s[start.._pos];
            if (Peek() is '\'' or '"')
            {
                return name switch
                {
                    "r" or "R" => TryString(raw: true, out token),
                    "u" or "U" => TryString(raw: false, out token),
                    _ => false, // bytes, f-strings and what Python does not know
                };
            }
            PyValue? value = name switch
            {
                "True" => new PyBool(true),
                "False" => new PyBool(false),
                "None" => PyNone.Instance,
                _ => null,
            };
            if (value is null) return false;
            token = new Token(TokenKind.Constant, value);
            return true;
        }

        private bool TryString(bool raw, out Token token)
        {
            token = default;
            var quote = Peek();
            var triple = Peek(1) == quote && Peek(2) == quote;
            _pos += triple ? 3 : 1;
            var sb = new StringBuilder();
            while (true)
            {
                if (AtEnd) return false;
                var c = Peek();
                if (c == quote && (!triple || (Peek(1) == quote && Peek(2) == quote)))
                {
                    _pos += triple ? 3 : 1;
                    token = new Token(TokenKind.String, Text: sb.ToString());
                    return true;
                }
                if (c == '\n' && !triple) return false;
                if (c != '\\')
                {
                    sb.Append(c);
                    _pos++;
                    continue;
                }
                if (_pos + 1 >= _s.Length) return false;
                if (raw)
                {
                    // A raw string keeps the backslash and what follows, which can then not end the string.
                    sb.Append(c).Append(Peek(1));
                    _pos += 2;
                    continue;
                }
                if (!TryEscape(sb)) return false;
            }
        }

        /// <summary>Python 3's escapes in a str; an unknown one keeps its backslash, as Python does.</summary>
        private bool TryEscape(StringBuilder sb)
        {
            var e = Peek(1);
            _pos += 2;
            switch (e)
            {
                case '\n': return true;
                case '\\' or '\'' or '"': sb.Append(e); return true;
                case 'a': sb.Append('\a'); return true;
                case 'b': sb.Append('\b'); return true;
                case 'f': sb.Append('\f'); return true;
                case 'n': sb.Append('\n'); return true;
                case 'r': sb.Append('\r'); return true;
                case 't': sb.Append('\t'); return true;
                case 'v': sb.Append('\v'); return true;
                case 'x': return TryHexEscape(sb, 2);
                case 'u': return TryHexEscape(sb, 4);
                case 'U': return TryHexEscape(sb, 8);
                case 'N': return false;
            }
            if (e is >= '0' and <= '7')
            {
                var value = e - '0';
                for (var n = 1; n < 3 && Peek() is >= '0' and <= '7'; n++, _pos++) value = value * 8 + (Peek() - '0');
                sb.Append((char)value);
                return true;
            }
            sb.Append('\\');
            _pos--; // what follows the backslash is read as it stands
            return true;
        }

        private bool TryHexEscape(StringBuilder sb, int length)
        {
            if (_pos + length > _s.Length) return false;
            var hex = _s.AsSpan(_pos, length);
            if (hex.ContainsAnyExcept("0123456789abcdefABCDEF")) return false;
            var value = long.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            if (value > 0x10ffff || value is >= 0xd800 and <= 0xdfff) return false;
            _pos += length;
            sb.Append(char.ConvertFromUtf32((int)value));
            return true;
        }

        private bool TryNumber(out Token token)
        {
            token = default;
            if (Peek() == '0' && char.ToLowerInvariant(Peek(1)) is 'x' or 'o' or 'b') return TryPrefixedInt(out token);

            var intPart = new StringBuilder();
            var fraction = new StringBuilder();
            var exponent = new StringBuilder();
            var isFloat = false;
            if (char.IsAsciiDigit(Peek()) && !TryDigitPart(intPart, char.IsAsciiDigit)) return false;
            if (Peek() == '.')
            {
                isFloat = true;
                _pos++;
                if (char.IsAsciiDigit(Peek()) && !TryDigitPart(fraction, char.IsAsciiDigit)) return false;
            }
            if (Peek() is 'e' or 'E')
            {
                isFloat = true;
                _pos++;
                if (Peek() is '+' or '-') exponent.Append(_s[_pos++]);
                if (!char.IsAsciiDigit(Peek()) || !TryDigitPart(exponent, char.IsAsciiDigit)) return false;
            }
            if (!EndsHere()) return false; // 1j (complex), 1abc, 1.5.2 and the like

            if (!isFloat)
            {
                var digits = intPart.ToString();
                // "leading zeros in decimal integer literals are not permitted", though 00 is zero.
                if (digits.Length > 1 && digits[0] == '0' && digits.AsSpan().ContainsAnyExcept('0')) return false;
                if (digits.AsSpan().TrimStart('0').Length > MaxIntDigits) return false;
                token = new Token(TokenKind.Number, new PyInt(BigInteger.Parse(digits, CultureInfo.InvariantCulture)));
                return true;
            }
            var text = (intPart.Length > 0 ? intPart.ToString() : "0") + "." + (fraction.Length > 0 ? fraction.ToString() : "0")
                + (exponent.Length > 0 ? "e" + exponent : "");
            var value = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(value)) return false;
            token = new Token(TokenKind.Number, new PyFloat(value));
            return true;
        }

        /// <summary><c>0x</c>, <c>0o</c> and <c>0b</c> ints; an underscore may follow the prefix, as in <c>0x_ff</c>.</summary>
        private bool TryPrefixedInt(out Token token)
        {
            token = default;
            var radix = char.ToLowerInvariant(Peek(1));
            Func<char, bool> isDigit = radix switch
            {
                'x' => char.IsAsciiHexDigit,
                'o' => c => c is >= '0' and <= '7',
                _ => c => c is '0' or '1',
            };
            _pos += 2;
            if (Peek() == '_') _pos++;
            var digits = new StringBuilder();
            if (!isDigit(Peek()) || !TryDigitPart(digits, isDigit) || !EndsHere()) return false;
            var text = digits.ToString();
            var bitsPerDigit = radix switch { 'x' => 4, 'o' => 3, _ => 1 };
            if ((text.AsSpan().TrimStart('0').Length - 1) * bitsPerDigit > IntLimit.GetBitLength()) return false;
            BigInteger value;
            switch (radix)
            {
                case 'x':
                    value = BigInteger.Parse("0" + text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                    break;
                case 'b':
                    value = BigInteger.Parse("0" + text, NumberStyles.AllowBinarySpecifier, CultureInfo.InvariantCulture);
                    break;
                default:
                    var bits = new StringBuilder("0", text.Length * 3 + 1);
                    foreach (var c in text) bits.Append(Convert.ToString(c - '0', 2).PadLeft(3, '0'));
                    value = BigInteger.Parse(bits.ToString(), NumberStyles.AllowBinarySpecifier, CultureInfo.InvariantCulture);
                    break;
            }
            if (value >= IntLimit) return false;
            token = new Token(TokenKind.Number, new PyInt(value));
            return true;
        }

        /// <summary>Digits with single underscores between them: <c>1_000</c>, not <c>1__0</c> nor <c>1_</c>.</summary>
        private bool TryDigitPart(StringBuilder digits, Func<char, bool> isDigit)
        {
            while (true)
            {
                while (!AtEnd && isDigit(Peek())) digits.Append(_s[_pos++]);
                if (Peek() != '_') return true;
                _pos++;
                if (!isDigit(Peek())) return false;
            }
        }

        /// <summary>A number must not run into a name, another digit or a dot, which Python refuses or reads otherwise.</summary>
        private bool EndsHere() => AtEnd || !(char.IsAsciiLetterOrDigit(Peek()) || Peek() is '_' or '.' || Peek() > '\x7f');
    }

    /// <summary>
    /// Recursive descent over Python's eval-mode grammar, cut down to literals: <c>expressions NEWLINE* ENDMARKER</c>,
    /// where an expression is a constant, a signed number, or a bracketed tuple or list.
    /// </summary>
    private sealed class Parser(string text)
    {
        private readonly Lexer _lexer = new(text);
        private Token _token;
        private int _depth;

        /// <summary>A value, and whether it is a number with no sign, which alone may take a unary + or -.</summary>
        private readonly record struct Parsed(PyValue Value, bool IsBareNumber);

        public bool TryParse(out PyValue? value)
        {
            value = null;
            if (!Advance()) return false;
            if (!TryItems(TokenKind.End, out var items, out var sawComma)) return false;
            while (_token.Kind == TokenKind.Newline)
            {
                if (!Advance()) return false;
            }
            if (_token.Kind != TokenKind.End || items.Count == 0) return false;
            value = sawComma ? new PyTuple(items) : items[0];
            return true;
        }

        private bool Advance() => _lexer.TryNext(out _token);

        /// <summary>
        /// Comma-separated expressions up to <paramref name="close"/> (not consumed), a trailing comma allowed;
        /// at the top level a line end also closes them.
        /// </summary>
        private bool TryItems(TokenKind close, out List<PyValue> items, out bool sawComma)
        {
            items = [];
            sawComma = false;
            while (!IsClose(close))
            {
                if (!TryExpression(out var parsed)) return false;
                items.Add(parsed.Value);
                if (_token.Kind != TokenKind.Comma) break;
                sawComma = true;
                if (!Advance()) return false;
            }
            return IsClose(close);
        }

        private bool IsClose(TokenKind close) =>
            _token.Kind == close || (close == TokenKind.End && _token.Kind == TokenKind.Newline);

        private bool TryExpression(out Parsed parsed)
        {
            parsed = default;
            if (_token.Kind is not (TokenKind.Plus or TokenKind.Minus)) return TryAtom(out parsed);
            var negate = _token.Kind == TokenKind.Minus;
            if (!Advance() || !TryAtom(out var operand) || !operand.IsBareNumber) return false;
            PyValue value = operand.Value switch
            {
                PyInt i => new PyInt(negate ? -i.Value : i.Value),
                PyFloat f => new PyFloat(negate ? -f.Value : f.Value),
                _ => throw new InvalidOperationException("A bare number is an int or a float."),
            };
            parsed = new Parsed(value, IsBareNumber: false);
            return true;
        }

        private bool TryAtom(out Parsed parsed)
        {
            parsed = default;
            switch (_token.Kind)
            {
                case TokenKind.Number:
                    parsed = new Parsed(_token.Value!, IsBareNumber: true);
                    return Advance();
                case TokenKind.Constant:
                    parsed = new Parsed(_token.Value!, IsBareNumber: false);
                    return Advance();
                case TokenKind.String:
                    var sb = new StringBuilder();
                    while (_token.Kind == TokenKind.String)
                    {
                        sb.Append(_token.Text);
                        if (!Advance()) return false;
                    }
                    parsed = new Parsed(new PyStr(sb.ToString()), IsBareNumber: false);
                    return true;
                case TokenKind.LParen:
                    return TryBracketed(TokenKind.RParen, out parsed);
                case TokenKind.LBracket:
                    return TryBracketed(TokenKind.RBracket, out parsed);
                default:
                    return false;
            }
        }

        private bool TryBracketed(TokenKind close, out Parsed parsed)
        {
            parsed = default;
            if (++_depth > MaxDepth || !Advance()) return false;
            List<PyValue> items;
            if (close == TokenKind.RBracket)
            {
                if (!TryItems(close, out items, out _)) return false;
                parsed = new Parsed(new PyList(items), IsBareNumber: false);
            }
            else if (_token.Kind == TokenKind.RParen)
            {
                parsed = new Parsed(new PyTuple([]), IsBareNumber: false);
            }
            else
            {
                // Without a comma the brackets only group: (1) is the int 1, which a sign may still take, as in -(1).
                if (!TryExpression(out var first)) return false;
                if (_token.Kind == TokenKind.Comma)
                {
                    if (!Advance() || !TryItems(close, out items, out _)) return false;
                    items.Insert(0, first.Value);
                    parsed = new Parsed(new PyTuple(items), IsBareNumber: false);
                }
                else parsed = first;
            }
            if (_token.Kind != close || !Advance()) return false;
            _depth--;
            return true;
        }
    }
}
