namespace Sharedcloud.Es.Domain.Common;

/// <summary>An event a decision makes for a stream other than the one its command addresses (a cascade's, a payment's).</summary>
public sealed record Elsewhere(Guid StreamId, object Event);
