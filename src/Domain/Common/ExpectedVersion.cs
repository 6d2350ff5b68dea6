namespace Sharedcloud.Es.Domain.Common;

/// <summary>
/// A write's condition on the version of the stream it changes (HTTP <c>If-Match</c>): any existing
/// version, or one of a set of versions. It is judged by the decision, against the version read under
/// the stream's lock, so no other write can come between the check and the append.
/// </summary>
public sealed class ExpectedVersion
{
    private readonly IReadOnlySet<long>? _versions; // null: any version

    private ExpectedVersion(IReadOnlySet<long>? versions) => _versions = versions;

    /// <summary>Any version of a stream that exists (<c>If-Match: *</c>).</summary>
    public static ExpectedVersion Any { get; } = new(null);

    /// <summary>One of these versions; none at all is a condition no stream meets.</summary>
    public static ExpectedVersion OneOf(params IEnumerable<long> versions) => new(versions.ToHashSet());

    public bool IsMetBy(long currentVersion) => _versions is null || _versions.Contains(currentVersion);

    public override string ToString() =>
        _versions is null ? "any version" : $"version {string.Join(" or ", _versions.Order())}";
}

public static class ExpectedVersionChecks
{
    /// <summary>
    /// Throws <see cref="PreconditionFailedException"/> unless <paramref name="expected"/> is met by the
    /// stream's <paramref name="currentVersion"/>; no expectation (null) is always met.
    /// </summary>
    /// <param name="kind">What the stream is, as a client calls it ("instance", "account").</param>
    public static void ThrowIfNotMetBy(this ExpectedVersion? expected, string kind, long currentVersion)
    {
        if (expected is not null && !expected.IsMetBy(currentVersion))
            throw new PreconditionFailedException(kind, currentVersion);
    }
}

/// <summary>The object changed since the version the client expected; nothing was written. Maps to 412.</summary>
public sealed class PreconditionFailedException(string kind, long currentVersion)
    : Exception($"Precondition failed: the {kind} was modified (current version {currentVersion}).")
{
    public string Kind { get; } = kind;
    public long CurrentVersion { get; } = currentVersion;
}
