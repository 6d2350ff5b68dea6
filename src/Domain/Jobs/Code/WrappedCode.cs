using System.Text;
using System.Text.RegularExpressions;
using Sharedcloud.Es.Domain.Runs.Parameters;

namespace Sharedcloud.Es.Domain.Jobs.Code;

/// <summary>
/// The program a provider's machine runs for one job (the image's <c>python -c "$CODE"</c> or
/// <c>node -e "$CODE"</c>): the consumer's code, then a call of its <c>handler</c> with the job's tuple whose
/// result comes back on one marked line of stdout. Nothing of the consumer's is caught: a handler that fails
/// fails the process, with its own traceback on stderr and no marked line.
/// </summary>
public static class WrappedCode
{
    private const string Python = "python";
    private const string Node = "node";

    /// <summary>
    /// A marker no other job's output can carry by accident, so that a result printed by a job's code (or by a
    /// program it runs) for another job is not taken for this one's.
    /// </summary>
    public static string MarkerFor(Guid jobId) => "__sharedcloud_result_" + jobId.ToString("N") + "__:";

    /// <summary>
    /// The code to run for a job of <paramref name="runtime"/> ("python36", "python27" or "node8") that passes
    /// <paramref name="arguments"/> to the consumer's <c>handler</c> and writes its result after
    /// <paramref name="marker"/>, for <see cref="JobOutput.Split"/> to take apart.
    /// </summary>
    public static string For(string runtime, string code, PyTuple arguments, string marker)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(arguments);
        CheckMarker(marker);
        return LanguageOf(runtime) switch
        {
            Python => ForPython(code, arguments, marker),
            _ => ForNode(code, arguments, marker),
        };
    }

    private static string LanguageOf(string runtime) => runtime switch
    {
        "python36" or "python27" => Python,
        "node8" => Node,
        _ => throw new ArgumentException($"Unknown runtime '{runtime}'.", nameof(runtime)),
    };

    /// <summary>The marker goes into a quoted literal of either language as it is, and must stay on one line.</summary>
    internal static void CheckMarker(string marker)
    {
        ArgumentException.ThrowIfNullOrEmpty(marker);
        if (marker.Any(c => c is < '!' or > '~' or '\'' or '"' or '\\'))
            throw new ArgumentException("A marker is printable ASCII without quotes, backslashes or spaces.", nameof(marker));
    }

    /// <remarks>
    /// One text for Python 2.7 and 3: the result goes through <c>type(u'')</c>, which is Python 2's unicode
    /// and Python 3's str, so non-ASCII survives in both; a Python 2 byte str (what a plain <c>'é'</c> is there)
    /// is read as UTF-8 rather than failing in unicode()'s ASCII decoding. <c>json.dumps</c> makes the line
    /// ASCII, which any stdout encoding can write. The names are local to one prefixed function, so the
    /// consumer's own <c>json</c>, <c>sys</c> or <c>result</c> are neither used nor clobbered.
    /// Python 2 reads a <c>-c</c> program without a coding declaration as Latin-1, which would garble
    /// <c>u'é'</c>; code with non-ASCII text and no declaration of its own gets one as its first line (so its
    /// traceback line numbers are one more than the consumer's). Python 3 ignores it.
    /// </remarks>
    private static string ForPython(string code, PyTuple arguments, string marker)
    {
        var sb = new StringBuilder(code.Length + 512);
        if (!code.All(char.IsAscii) && !DeclaresEncoding(code)) sb.Append("# -*- coding: utf-8 -*-\n");
        sb.Append(code);
        sb.Append("\n\n\n");
        sb.Append("def __sc_run_handler():\n");
        sb.Append("    import json, sys\n");
        sb.Append("    result = handler(").Append(PythonLiteral.ToPortablePython(arguments)).Append(")\n");
        sb.Append("    if bytes is str and isinstance(result, bytes):\n");
        sb.Append("        text = result.decode('utf-8', 'replace')\n");
        sb.Append("    else:\n");
        sb.Append("        text = type(u'')(result)\n");
        sb.Append("    sys.stdout.write('\\n' + '").Append(marker).Append("' + json.dumps(text) + '\\n')\n");
        sb.Append("    sys.stdout.flush()\n");
        sb.Append('\n');
        sb.Append('\n');
        sb.Append("__sc_run_handler()\n");
        return sb.ToString();
    }

    /// <summary>PEP 263: a comment naming the encoding on the first or second line.</summary>
    private static bool DeclaresEncoding(string code)
    {
        var lines = code.Split('\n', 3);
        return lines.Take(2).Any(line =>
        {
            var trimmed = line.TrimStart(' ', '\t', '\f');
            return trimmed.StartsWith('#') && Regex.IsMatch(trimmed, @"coding[:=]\s*[-\w.]+");
        });
    }

    /// <remarks>
    /// Everything runs in one function expression, so no name of the consumer's is touched but
    /// <c>handler</c>; the leading semicolon keeps a last line without one from calling it. A returned value
    /// is awaited as <c>await</c> would (any thenable); a rejection, or a failure to convert the value, is thrown
    /// again from <c>setImmediate</c> to be an uncaught exception, which exits with 1 in every node version,
    /// where node 8 would only warn about an unhandled rejection and exit 0.
    /// </remarks>
    private static string ForNode(string code, PyTuple arguments, string marker)
    {
        var sb = new StringBuilder(code.Length + 512);
        sb.Append(code);
        sb.Append("\n\n\n");
        sb.Append(";(function (result) {\n");
        sb.Append("  Promise.resolve(result).then(function (value) {\n");
        sb.Append("    process.stdout.write('\\n' + '").Append(marker).Append("' + JSON.stringify(String(value)) + '\\n');\n");
        sb.Append("  }).then(null, function (error) {\n");
        sb.Append("    setImmediate(function () { throw error; });\n");
        sb.Append("  });\n");
        sb.Append("})(handler(").Append(PythonLiteral.ToJavaScript(arguments)).Append("));\n");
        return sb.ToString();
    }
}

/// <summary>Takes a finished job's stdout apart into what the consumer's code printed and what its handler returned.</summary>
public static class JobOutput
{
    /// <summary>
    /// The consumer's own output, byte for byte (the wrapper's marked line and the newlines it added around it
    /// removed), and the handler's result; with no marked line (the handler raised, or the process was killed)
    /// the result is empty and all the output is the consumer's. The last marked line counts, since the
    /// wrapper's comes after anything the handler printed.
    /// </summary>
    public static (string Stdout, string Result) Split(string output, string marker)
    {
        ArgumentNullException.ThrowIfNull(output);
        WrappedCode.CheckMarker(marker);

        int start, markerAt;
        var i = output.LastIndexOf("\n" + marker, StringComparison.Ordinal);
        if (i >= 0) (start, markerAt) = (i, i + 1);
        else if (output.StartsWith(marker, StringComparison.Ordinal)) (start, markerAt) = (0, 0);
        else return (output, "");

        var jsonAt = markerAt + marker.Length;
        var lineEnd = output.IndexOf('\n', jsonAt);
        var json = lineEnd < 0 ? output[jsonAt..] : output[jsonAt..lineEnd];
        if (!TryDecodeJsonString(json, out var result)) return (output, "");
        var end = lineEnd < 0 ? output.Length : lineEnd + 1;
        return (string.Concat(output.AsSpan(0, start), output.AsSpan(end)), result);
    }

    /// <summary>
    /// Exactly one JSON string (what json.dumps and JSON.stringify write). A lone surrogate, which a Python 3
    /// str may hold, becomes U+FFFD, so the result is always text the API can send.
    /// </summary>
    private static bool TryDecodeJsonString(string json, out string value)
    {
        value = "";
        if (json.Length < 2 || json[0] != '"' || json[^1] != '"') return false;
        var sb = new StringBuilder(json.Length);
        for (var i = 1; i < json.Length - 1; i++)
        {
            var c = json[i];
            if (c == '"' || c < ' ') return false;
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (++i >= json.Length - 1) return false;
            switch (json[i])
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (i + 4 > json.Length - 2) return false;
                    var hex = json.AsSpan(i + 1, 4);
                    if (hex.ContainsAnyExcept("0123456789abcdefABCDEF")) return false;
                    sb.Append((char)Convert.ToInt32(hex.ToString(), 16));
                    i += 4;
                    break;
                default:
                    return false;
            }
        }
        value = WellFormed(sb.ToString());
        return true;
    }

    private static string WellFormed(string s)
    {
        var chars = s.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) i++;
            else if (char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
    }
}
