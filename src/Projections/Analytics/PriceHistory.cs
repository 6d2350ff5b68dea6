using JasperFx.Events;
using Marten.Events.Aggregation;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections.Replay;

namespace Sharedcloud.Es.Projections.Analytics;

/// <summary>One ask price an instance had: from which version and time, set by whom.</summary>
public sealed record PriceChange(long Version, decimal AskPrice, DateTimeOffset At, string? ActorId, string? ActorName);

/// <summary>
/// Every ask price of one instance, the price it was registered with first. Kept after the instance
/// is deleted (its owner can still read its history, as with its events).
/// </summary>
public sealed class PriceHistory
{
    public Guid Id { get; set; }
    public List<PriceChange> Changes { get; set; } = [];
}

/// <summary>
/// Asynchronous. Times, versions and actors come from the events' metadata (the actor's id and
/// username as recorded then), so a rebuild writes the same document.
/// </summary>
public sealed partial class PriceHistoryProjection : FoldingSingleStreamProjection<PriceHistory, Guid>
{
    public const string ProjectionName = "price_history";

    public PriceHistoryProjection() => Name = ProjectionName;

    public static PriceHistory Create(IEvent<InstanceRegistered> e) => new()
    {
        Id = e.Data.InstanceId,
        Changes = [Change(e, e.Data.AskPrice)],
    };

    public void Apply(IEvent<InstancePriceChanged> e, PriceHistory history) => history.Changes.Add(Change(e, e.Data.AskPrice));

    private static PriceChange Change(IEvent e, decimal askPrice) =>
        new(e.Version, askPrice, e.Timestamp, EventMetadata.ActorId(e), e.UserName);
}
