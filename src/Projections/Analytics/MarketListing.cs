using Marten.Events.Aggregation;
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
public sealed partial class MarketListingProjection : FoldingSingleStreamProjection<MarketListing, Guid>
{
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
