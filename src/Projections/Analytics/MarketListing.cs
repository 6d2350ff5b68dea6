using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using JasperFx.Events.Subscriptions;
using Marten;
using Marten.Events.Aggregation;
using Microsoft.Extensions.Logging;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections.Replay;

namespace Sharedcloud.Es.Projections.Analytics;

/// <summary>
/// A live instance as the marketplace statistics count it: its group (type, GPU model), its ask
/// price and whether it is AVAILABLE. No owner. Deleted instances have none.
/// </summary>
public sealed class MarketListing
{
    public Guid Id { get; set; }
    public InstanceType Type { get; set; }
    public Guid? GpuId { get; set; }
    public decimal AskPrice { get; set; }
    public bool Available { get; set; }
}

/// <summary>
/// Asynchronous (the daemon's): instance writes do not pay for it. The statistics are one grouped
/// query over these documents, so an instance that changes type or GPU model simply counts in its
/// new groups from then on.
/// </summary>
public sealed partial class MarketListingProjection : SingleStreamProjection<MarketListing, Guid>,
    ISubscriptionFactory<IDocumentOperations, IQuerySession>
{
    // Rebuilds fold the log in memory and write each document once (FoldingReplay).
    ISubscriptionExecution ISubscriptionFactory<IDocumentOperations, IQuerySession>.BuildExecution(
        IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ILoggerFactory loggers, ShardName shard) =>
        FoldingReplay.Execution(this, store, database, loggers.CreateLogger(GetType()), shard);

    ISubscriptionExecution ISubscriptionFactory<IDocumentOperations, IQuerySession>.BuildExecution(
        IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ILogger logger, ShardName shard) =>
        FoldingReplay.Execution(this, store, database, logger, shard);

    public const string ProjectionName = "market_listings";

    public MarketListingProjection() => Name = ProjectionName;

    public static MarketListing Create(InstanceRegistered e) => new()
    {
        Id = e.InstanceId,
        Type = e.Type,
        GpuId = e.GpuId,
        AskPrice = e.AskPrice,
    };

    public void Apply(InstancePriceChanged e, MarketListing listing) => listing.AskPrice = e.AskPrice;

    public void Apply(InstanceTypeChanged e, MarketListing listing)
    {
        listing.Type = e.Type;
        listing.GpuId = e.GpuId;
    }

    public void Apply(InstanceGpuChanged e, MarketListing listing) => listing.GpuId = e.GpuId;

    public void Apply(InstanceStarted e, MarketListing listing) => listing.Available = true;

    public void Apply(InstanceStopped e, MarketListing listing) => listing.Available = false;

    public bool ShouldDelete(InstanceDeleted e) => true;
}
