using System.Globalization;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Sharedcloud.Es.Projections.Replay;

namespace Sharedcloud.Es.Projections.Analytics;

/// <summary>
/// What happened to one account in one UTC day: the number of events of each type on its account
/// stream and on all its instances' streams, whoever acted (the account, or the service as system).
/// </summary>
public sealed class DailyActivity
{
    /// <summary><c>{account uuid}:{yyyy-MM-dd}</c>.</summary>
    public string Id { get; set; } = "";
    public Guid AccountId { get; set; }
    /// <summary>The day's first instant (UTC).</summary>
    public DateTimeOffset Day { get; set; }
    /// <summary>Events by stored name (<c>instance_price_changed</c>, ...).</summary>
    public SortedDictionary<string, int> Events { get; set; } = new(StringComparer.Ordinal);
    public int Total { get; set; }

    public static string IdFor(Guid accountId, DateOnly day) =>
        string.Create(47, (accountId, day), static (id, key) => // once per event when the projection groups them
        {
            key.accountId.TryFormat(id, out _);
            id[36] = ':';
            key.day.TryFormat(id[37..], out _, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        });
}

/// <summary>
/// Asynchronous, across every stream: each event counts for the account named by its
/// <c>owner_id</c> header (the account whose audit feed holds it) on the UTC day of its timestamp.
/// Events without that header (none are appended through the API) are not counted.
/// </summary>
public sealed partial class DailyActivityProjection : FoldingMultiStreamProjection<DailyActivity, string>
{
    public const string ProjectionName = "daily_activity";

    public DailyActivityProjection()
    {
        Name = ProjectionName;
        CustomGrouping((_, events, grouping) =>
        {
            foreach (var e in events)
                if (EventMetadata.OwnerId(e) is { } owner)
                    grouping.AddEvent(DailyActivity.IdFor(owner, Day(e)), e);
            return Task.CompletedTask;
        });
    }

    public override DailyActivity? Evolve(DailyActivity? snapshot, string id, IEvent e)
    {
        var activity = snapshot ?? new DailyActivity
        {
            Id = id,
            AccountId = EventMetadata.OwnerId(e)!.Value,
            Day = new DateTimeOffset(Day(e).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        };
        activity.Events[e.EventTypeName] = activity.Events.GetValueOrDefault(e.EventTypeName) + 1;
        activity.Total++;
        return activity;
    }

    private static DateOnly Day(IEvent e) => DateOnly.FromDateTime(e.Timestamp.UtcDateTime);
}
