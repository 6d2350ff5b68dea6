using System.Globalization;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// Conditional requests (RFC 9110 §13) on objects that are event streams: an object's entity tag is its
/// stream version in quotes (<c>"7"</c>, a strong tag). A read answers 304 to a matching If-None-Match;
/// a write passes If-Match to its command as an <see cref="ExpectedVersion"/>, which the decision checks
/// against the version read under the stream's lock.
/// </summary>
public static class Preconditions
{
    public static string ETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    public static void SetETag(this HttpResponse response, long version) => response.Headers.ETag = ETag(version);

    /// <summary>
    /// The request's If-Match as the version a write expects; null without the header. Strong comparison
    /// (§13.1.1): a weak tag never matches, nor does a tag this API never gives out. A malformed header
    /// matches nothing either, so that a condition the client meant is never dropped.
    /// </summary>
    public static ExpectedVersion? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch;
        if (header.Count == 0) return null;
        if (IsAny(header)) return ExpectedVersion.Any;
        if (!TryParseTags(header, out var tags)) return ExpectedVersion.OneOf();
        return ExpectedVersion.OneOf(tags.Where(t => !t.IsWeak).Select(t => VersionOf(t.Tag)).OfType<long>());
    }

    /// <summary>
    /// Whether the request's If-None-Match matches <paramref name="version"/> (weak comparison, §13.1.2: a
    /// weak tag matches too), so that a GET answers 304. False without the header or when it is malformed.
    /// </summary>
    public static bool IfNoneMatch(HttpRequest request, long version)
    {
        var header = request.Headers.IfNoneMatch;
        if (header.Count == 0) return false;
        if (IsAny(header)) return true;
        return TryParseTags(header, out var tags) && tags.Any(t => VersionOf(t.Tag) == version);
    }

    /// <summary>304 Not Modified: no body, and the tag the client already holds.</summary>
    public static IResult NotModified(HttpResponse response, long version)
    {
        response.SetETag(version);
        return Results.StatusCode(StatusCodes.Status304NotModified);
    }

    private static bool IsAny(StringValues header) => header.Count == 1 && header[0]?.Trim(' ', '\t') == "*";

    /// <summary>
    /// A comma-separated list of entity tags (RFC 9110 §8.8.3), over every line of the header; false if malformed. "*"
    /// stands alone or not at all (<see cref="IsAny"/>): within a list it makes the header malformed.
    /// </summary>
    private static bool TryParseTags(StringValues header, out IList<EntityTagHeaderValue> tags) =>
        EntityTagHeaderValue.TryParseStrictList(header, out tags!) && !tags.Any(t => t.Tag == "*");

    /// <summary>The version a tag of ours stands for; null for any other tag ("07" is not "7").</summary>
    private static long? VersionOf(StringSegment quoted) => VersionOf(quoted.Value is { Length: >= 2 } q ? q[1..^1] : "");

    private static long? VersionOf(string opaque) =>
        long.TryParse(opaque, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
        && version.ToString(CultureInfo.InvariantCulture) == opaque
            ? version
            : null;
}
