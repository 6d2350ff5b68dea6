using JasperFx.Events.Projections;
using Marten;

namespace Sharedcloud.Es.Projections.Analytics;

/// <summary>
/// The analysts' read models: asynchronous projections that Marten's daemon builds from the whole
/// event log, off the request path. Ordinary projections, so Marten's own tooling
/// (<c>projections rebuild</c>, the daemon API) handles them like any other.
/// </summary>
public static class AnalyticsProjections
{
    /// <summary>The documents' tables are named here, not derived from class names, because the API reads them with SQL.</summary>
    public const string MarketListingTable = "mt_doc_market_listing";

    public static void Configure(StoreOptions opts)
    {
        // No shared throttle on the daemon's event loads. JasperFx.Events disposes that semaphore when the daemon stops
        // while an agent's load may still be running, and the load's release then fails and is logged as an error on
        // every clean shutdown that races it (the batch-write throttle got a safe release for the same race, the load
        // throttle did not). This store has a handful of agents, one load each at most: nothing to bound.
        opts.Projections.MaxConcurrentEventLoadsPerDatabase = 0;
        opts.Projections.Add<MarketListingProjection>(ProjectionLifecycle.Async, MartenConfiguration.ForAsync);
        opts.Projections.Add<PriceHistoryProjection>(ProjectionLifecycle.Async, MartenConfiguration.ForAsync);
        opts.Projections.Add<DailyActivityProjection>(ProjectionLifecycle.Async, MartenConfiguration.ForAsync);
        opts.Projections.Add<DailyBillingProjection>(ProjectionLifecycle.Async, MartenConfiguration.ForAsync);

        opts.Schema.For<MarketListing>().DocumentAlias("market_listing");
        // The table of the document per instance it replaced: a database written before needs `projections rebuild -p
        // price_history` once (README, Upgrading).
        opts.Schema.For<PriceChange>().DocumentAlias("pricehistory").Duplicate(x => x.InstanceId);
        opts.Schema.For<DailyBilling>().DocumentAlias("daily_billing")
            .Duplicate(x => x.AccountId)
            .Duplicate(x => x.Day, pgType: "timestamptz");
        opts.Schema.For<DailyActivity>()
            .Duplicate(x => x.AccountId)
            .Duplicate(x => x.Day, pgType: "timestamptz");
    }
}
