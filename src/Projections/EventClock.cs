namespace Sharedcloud.Es.Projections;

/// <summary>
/// The clock Marten stamps events with: the given clock, cut to the microsecond that PostgreSQL's
/// timestamptz keeps. Marten takes an event's timestamp in .NET and hands the same value to the inline
/// projections before the row is written; with .NET's 100 ns ticks the stored read models then held
/// times that the event store itself had truncated, so a live aggregation (time travel) or a rebuild
/// disagreed with them below the microsecond. Cut here, the event and every projection of it agree.
/// </summary>
public sealed class EventClock(TimeProvider inner) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => ToMicrosecond(inner.GetUtcNow());

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public static DateTimeOffset ToMicrosecond(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
}
