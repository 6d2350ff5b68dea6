using System.Globalization;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// A point in time as a client writes it in a query (<c>?at=</c>, <c>?since=</c>, <c>?until=</c>):
/// ISO 8601, or the API's own <c>dd-MM-yyyy HH:mm:ss</c> (UTC). A time given to the second stands
/// for that whole second, a date for that whole day, so a timestamp copied from a response
/// (which shows whole seconds) covers the changes made within it.
/// </summary>
public readonly record struct Moment(DateTimeOffset Start, DateTimeOffset End)
{
    public const string FormatsMessage =
        "Datetime has wrong format. Use one of these formats instead: " +
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z], DD-MM-YYYY hh:mm:ss.";

    private const DateTimeStyles Utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;

    private static readonly string[] DateOnly = ["yyyy-MM-dd"];
    private static readonly string[] ToTheSecond =
    [
        "dd-MM-yyyy HH:mm:ss", "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mmK", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ssK",
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ssK",
    ];
    private static readonly string[] Precise =
    [
        "yyyy-MM-ddTHH:mm:ss.FFFFFFF", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
    ];

    public static bool TryParse(string? text, out Moment moment)
    {
        moment = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 40) return false;
        text = text.Trim();
        if (Parse(text, DateOnly, out var day)) moment = new Moment(day, Later(day, TimeSpan.FromDays(1)));
        else if (Parse(text, ToTheSecond, out var second)) moment = new Moment(second, Later(second, TimeSpan.FromSeconds(1)));
        // The store keeps microseconds: an exact time covers its microsecond.
        else if (Parse(text, Precise, out var instant)) moment = new Moment(instant, Later(instant, TimeSpan.FromMicroseconds(1)));
        else return false;
        return true;
    }

    /// <summary>The end of a span; the last day of year 9999 ends at the last representable instant instead of throwing.</summary>
    private static DateTimeOffset Later(DateTimeOffset start, TimeSpan length) =>
        start <= DateTimeOffset.MaxValue - length ? start + length : DateTimeOffset.MaxValue;

    private static bool Parse(string text, string[] formats, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture, Utc, out value);
}
