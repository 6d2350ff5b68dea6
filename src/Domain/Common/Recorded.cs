namespace Sharedcloud.Es.Domain.Common;

/// <summary>An event as the store recorded it: the stream version it made and the time it was given.</summary>
public sealed record Recorded<TEvent>(TEvent Event, long Version, DateTimeOffset At);
