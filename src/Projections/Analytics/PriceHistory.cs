using JasperFx.Events;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections.Replay;

namespace Sharedcloud.Es.Projections.Analytics;

/// <summary>
/// One ask price an instance had: from which version and time, set by whom. One document per price (its event's id),
/// so a price change writes one small document, whatever the instance's history; an instance's history is its
/// documents in version order, the price it was registered with first. Kept after the instance is deleted (its owner
/// can still read its history, as with its events).
/// </summary>
public sealed class PriceChange
{
    public Guid Id { get; set; }
    public Guid InstanceId { get; set; }
    /// <summary>The event's version in the instance's stream (not "Version": Marten sets that on a multi-stream document to the sequence).</summary>
    public long StreamVersion { get; set; }
    public decimal AskPrice { get; set; }
    public DateTimeOffset At { get; set; }
    public string? ActorId { get; set; }
    public string? ActorName { get; set; }
}

/// <summary>
/// Asynchronous. Ids, times, versions and actors come from the events and their metadata (the actor's id and username
/// as recorded then), so a rebuild writes the same documents.
/// </summary>
public sealed partial class PriceHistoryProjection : FoldingMultiStreamProjection<PriceChange, Guid>
{
    public const string ProjectionName = "price_history";

    public PriceHistoryProjection()
    {
        Name = ProjectionName;
        Identity<IEvent<InstanceRegistered>>(e => e.Id);
        Identity<IEvent<InstancePriceChanged>>(e => e.Id);
    }

    public static PriceChange Create(IEvent<InstanceRegistered> e) => Change(e, e.Data.InstanceId, e.Data.AskPrice);

    public static PriceChange Create(IEvent<InstancePriceChanged> e) => Change(e, e.Data.InstanceId, e.Data.AskPrice);

    private static PriceChange Change(IEvent e, Guid instanceId, decimal askPrice) => new()
    {
        Id = e.Id, InstanceId = instanceId, StreamVersion = e.Version, AskPrice = askPrice, At = e.Timestamp,
        ActorId = EventMetadata.ActorId(e), ActorName = e.UserName,
    };
}
