using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Primitives;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// A request body as DRF reads it: JSON, url-encoded form or multipart form, turned into
/// per-field values. Form values are always strings; JSON values keep their types. Each reader
/// returns a <see cref="Field{T}"/> so that unreadable input is reported with the other field errors.
/// </summary>
public sealed partial class RequestBody
{
    public const int MaxJsonDepth = 32;
    private static readonly RequestBody Empty = new(new Dictionary<string, JsonElement>(), null);

    private readonly Dictionary<string, JsonElement>? _json;
    private readonly IFormCollection? _form;

    private RequestBody(Dictionary<string, JsonElement>? json, IFormCollection? form) => (_json, _form) = (json, form);

    public static async Task<RequestBody> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType)) return Empty;

        if (request.HasFormContentType)
        {
            try
            {
                return new RequestBody(null, await request.ReadFormAsync(ct));
            }
            // No boundary, a broken or unterminated part, past the form reader's limits. Kestrel's own refusals
            // (413 and the like) are BadHttpRequestExceptions, which the error table answers as they are.
            catch (Exception e) when (e is InvalidDataException || (e is IOException and not BadHttpRequestException && !ct.IsCancellationRequested))
            {
                var kind = contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) ? "Multipart form" : "Form";
                throw new BadRequestException($"{kind} parse error - {(e is InvalidDataException ? e.Message : "Unexpected end of the body.")}");
            }
        }

        if (IsJson(contentType))
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, ct);
            if (buffer.Length == 0) return Empty; // DRF reads an empty body as no data

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length),
                    new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
            }
            catch (JsonException e)
            {
                throw new BadRequestException($"JSON parse error - {e.Message}");
            }
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                    throw new FieldErrorsException(FieldErrors.For(FieldErrors.NonField,
                        $"Invalid data. Expected a dictionary, but got {DrfTypeName(root.ValueKind)}."));
                var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                try
                {
                    foreach (var property in root.EnumerateObject())
                    {
                        // Valid JSON, yet not text: a lone UTF-16 surrogate ("\ud800") fails when read as a string.
                        if (property.Value.ValueKind == JsonValueKind.String) _ = property.Value.GetString();
                        values[property.Name] = property.Value.Clone();
                    }
                }
                catch (InvalidOperationException e)
                {
                    throw new BadRequestException($"JSON parse error - {e.Message}");
                }
                return new RequestBody(values, null);
            }
        }

        throw new UnsupportedMediaTypeException(contentType);
    }

    private static bool IsJson(string contentType)
    {
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
               || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static string DrfTypeName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "list",
        JsonValueKind.String => "str",
        JsonValueKind.Number => "int",
        JsonValueKind.True or JsonValueKind.False => "bool",
        _ => "NoneType",
    };

    /// <summary>
    /// The raw value: a string, a JSON element, or nothing. In a form, an empty value of a field that is not
    /// <paramref name="required"/> is nothing, as DRF reads HTML input: a form cannot leave a field out, so
    /// <c>max_num_parallel_jobs=</c> means "not given" (the default on a create, no change on a PATCH). In JSON it stays
    /// a value, and a malformed one.
    /// </summary>
    private (FieldState State, string? Text, JsonElement Json) Raw(string name, bool required = true)
    {
        if (_form is not null)
        {
            // Django's QueryDict gives the last of repeated keys.
            if (!_form.TryGetValue(name, out StringValues v) || v.Count == 0) return (FieldState.Missing, null, default);
            var value = v[^1] ?? "";
            return value.Length == 0 && !required ? (FieldState.Missing, null, default) : (FieldState.Present, value, default);
        }
        if (_json is null || !_json.TryGetValue(name, out var element)) return (FieldState.Missing, null, default);
        return element.ValueKind switch
        {
            JsonValueKind.Null => (FieldState.Null, null, element),
            JsonValueKind.String => (FieldState.Present, element.GetString(), element),
            _ => (FieldState.Present, null, element),
        };
    }

    /// <summary>
    /// A CharField: strings, and numbers as their text; surrounding whitespace trimmed unless <paramref name="trim"/> is
    /// false. NUL characters are refused, or dropped where <paramref name="dropNul"/> (a machine's logs).
    /// </summary>
    public Field<string> Text(string name, bool trim = true, bool dropNul = false)
    {
        var (state, text, json) = Raw(name);
        if (state == FieldState.Missing) return Field<string>.Missing;
        if (state == FieldState.Null) return Field<string>.Null;
        text ??= json.ValueKind == JsonValueKind.Number ? json.GetRawText() : null;
        if (text is null) return Field<string>.Invalid(Messages.InvalidString);
        if (text.Contains('\0'))
        {
            if (!dropNul) return Field<string>.Invalid(Messages.NullCharacters);
            text = text.Replace("\0", "");
        }
        return Field<string>.Of(trim ? Strip(text) : text);
    }

    /// <summary>A DecimalField: a JSON number or numeric text, kept exactly, trailing zeros dropped.</summary>
    public Field<decimal> Decimal(string name)
    {
        var (state, text, json) = Raw(name);
        if (state == FieldState.Missing) return Field<decimal>.Missing;
        if (state == FieldState.Null) return Field<decimal>.Null;
        text = (text is null ? null : Strip(text)) ?? (json.ValueKind == JsonValueKind.Number ? json.GetRawText() : null);
        if (text is null || text.Length > 100
            || !decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var value))
            return Field<decimal>.Invalid(Messages.InvalidNumber);
        return Field<decimal>.Of(Normalize(value));
    }

    /// <summary>An IntegerField: integers, or numbers and text that end in ".0". An optional one (not
    /// <paramref name="required"/>) takes an empty form value as not given.</summary>
    public Field<int> Integer(string name, bool required = true)
    {
        var (state, text, json) = Raw(name, required);
        if (state == FieldState.Missing) return Field<int>.Missing;
        if (state == FieldState.Null) return Field<int>.Null;
        text = (text is null ? null : Strip(text)) ?? (json.ValueKind == JsonValueKind.Number ? json.GetRawText() : null);
        if (text is null || text.Length > 100) return Field<int>.Invalid(Messages.InvalidInteger);
        text = TrailingZeroFraction().Replace(text, "");
        if (!System.Numerics.BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
            return Field<int>.Invalid(Messages.InvalidInteger);
        if (big > int.MaxValue) return Field<int>.Invalid(Messages.MaxValue(int.MaxValue));
        if (big < int.MinValue) return Field<int>.Invalid(Messages.MinValue(1));
        return Field<int>.Of((int)big);
    }

    /// <summary>The instance type: 1, 2, "1", "2", "cpu", "gpu" (any case). An optional one (not
    /// <paramref name="required"/>) takes an empty form value as not given.</summary>
    public Field<InstanceType> InstanceType(string name, bool required = true)
    {
        var (state, text, json) = Raw(name, required);
        if (state == FieldState.Missing) return Field<InstanceType>.Missing;
        if (state == FieldState.Null) return Field<InstanceType>.Null;
        var input = text ?? json.GetRawText();
        return input.Trim().ToLowerInvariant() switch
        {
            "1" or "cpu" => Field<InstanceType>.Of(Domain.Instances.InstanceType.Cpu),
            "2" or "gpu" => Field<InstanceType>.Of(Domain.Instances.InstanceType.Gpu),
            _ => Field<InstanceType>.Invalid(Messages.InvalidChoice(input)),
        };
    }

    /// <summary>A job's status: its number (1 to 5), as a JSON integer or text.</summary>
    public Field<Domain.Jobs.JobStatus> JobStatus(string name)
    {
        var (state, text, json) = Raw(name);
        if (state == FieldState.Missing) return Field<Domain.Jobs.JobStatus>.Missing;
        if (state == FieldState.Null) return Field<Domain.Jobs.JobStatus>.Null;
        var input = (text ?? json.GetRawText()).Trim();
        return int.TryParse(input, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 5
            ? Field<Domain.Jobs.JobStatus>.Of((Domain.Jobs.JobStatus)n)
            : Field<Domain.Jobs.JobStatus>.Invalid(Messages.InvalidChoice(input));
    }

    /// <summary>A reference by primary key, kept as sent so that an unknown one can be quoted back.</summary>
    public Field<string> Reference(string name)
    {
        var (state, text, json) = Raw(name);
        if (state == FieldState.Missing) return Field<string>.Missing;
        if (state == FieldState.Null) return Field<string>.Null;
        return Field<string>.Of((text ?? json.GetRawText()).Trim());
    }

    /// <summary>
    /// Python's <c>str.strip()</c>, which DRF's CharField, DecimalField and IntegerField apply: .NET's whitespace plus the
    /// four information separators U+001C-U+001F, which Python counts as whitespace and .NET does not.
    /// </summary>
    public static string Strip(string text)
    {
        static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';
        var (start, end) = (0, text.Length);
        while (start < end && IsPythonSpace(text[start])) start++;
        while (end > start && IsPythonSpace(text[end - 1])) end--;
        return start == 0 && end == text.Length ? text : text[start..end];
    }

    private static decimal Normalize(decimal value) => value / 1.000000000000000000000000000000000m;

    [GeneratedRegex(@"\.0*$")]
    private static partial Regex TrailingZeroFraction();
}

/// <summary>A malformed request as a whole (not one field): 400 with a detail.</summary>
public sealed class BadRequestException(string detail) : Exception(detail);

public sealed class UnsupportedMediaTypeException(string contentType)
    : Exception($"Unsupported media type \"{contentType}\" in request.");

/// <summary>The write kept losing optimistic-concurrency races; nothing was written.</summary>
public sealed class ConflictException(string detail) : Exception(detail);
