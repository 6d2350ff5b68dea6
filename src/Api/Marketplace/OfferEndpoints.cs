using Marten;
using Mediator;
using Microsoft.Extensions.Options;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Api.Instances.Machine;
using Sharedcloud.Es.Domain.Gpus;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Api.Marketplace;

/// <summary>
/// An offer on the marketplace: no owner, no uuid. Fields in production's order. <c>ask_price</c> is what a consumer
/// pays (the instance's ask plus the platform's fee, to 3 decimals); <c>cuda_cores</c> is a number, or "n/a" for a CPU.
/// </summary>
public sealed record OfferResponse(
    string Name, InstanceType Type, string GpuName, System.Text.Json.Nodes.JsonNode CudaCores, decimal AskPrice,
    DateTimeOffset? LastConnection, DateTimeOffset CurrentServerTime);

public sealed record ListOffers(InstanceType? Type, Guid? Gpu, decimal? MaxPrice, DateTimeOffset Now) : IQuery<IReadOnlyList<Instance>>;

public static class Market
{
    /// <summary>
    /// On the market: AVAILABLE and online. Online is the machine's came-online/went-offline state,
    /// and its last contact within the window, so a silence check that runs late (every API process
    /// down, say) cannot leave a silent machine on offer.
    /// </summary>
    public static IQueryable<Instance> OnTheMarket(this IQueryable<Instance> instances, DateTimeOffset now,
        PresenceOptions presence)
    {
        var contactSince = now - presence.OfflineAfter;
        return instances.Where(x => x.Status == InstanceStatus.Available && x.IsOnline && x.LastConnection >= contactSince);
    }
}

public sealed class OfferHandlers(IQuerySession session, IOptions<PresenceOptions> presence) :
    IQueryHandler<ListOffers, IReadOnlyList<Instance>>
{
    public async ValueTask<IReadOnlyList<Instance>> Handle(ListOffers query, CancellationToken ct)
    {
        var offers = session.Query<Instance>().OnTheMarket(query.Now, presence.Value);
        if (query.Type is { } type) offers = offers.Where(x => x.Type == type);
        if (query.Gpu is { } gpu) offers = offers.Where(x => x.GpuId == gpu);
        if (query.MaxPrice is { } max)
        {
            // On the consumer price as offers show it, rounded half up to 3 decimals: a shown price is on the grid of
            // thousandths, so shown <= max exactly when ask x 1.2 < floor(max to thousandths) + 0.0005.
            // (A max beyond any price filters nothing; added to, decimal's largest values would overflow.)
            var asks = max >= 1_000_000_000m ? decimal.MaxValue
                : (Math.Floor(max * 1000) / 1000 + 0.0005m) / Domain.Billing.Prices.ConsumerPrice(1);
            offers = offers.Where(x => x.AskPrice < asks);
        }
        return await offers.OrderBy(x => x.AskPrice).ThenBy(x => x.CreatedAt).ToListAsync(ct);
    }
}

public static class OfferEndpoints
{
    private static readonly Dictionary<string, InstanceType> Types = new()
    {
        ["1"] = InstanceType.Cpu, ["cpu"] = InstanceType.Cpu, ["2"] = InstanceType.Gpu, ["gpu"] = InstanceType.Gpu,
    };

    public static void MapOffers(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/offers", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var query = new QueryParameters(http.Request.Query);
            var type = query.Choice("type", Types);
            var gpu = query.Uuid("gpu");
            var maxPrice = query.Decimal("max_price");
            query.ThrowIfInvalid();

            var now = clock.GetUtcNow();
            var offers = await mediator.Send(new ListOffers(type, gpu, maxPrice, now), ct);
            return ApiResults.Ok(offers.Select(o =>
            {
                var model = o.GpuId is { } id ? GpuCatalog.Find(id) : null;
                return new OfferResponse(o.Name, o.Type, model?.Name ?? "n/a",
                    model is null ? System.Text.Json.Nodes.JsonValue.Create("n/a") : System.Text.Json.Nodes.JsonValue.Create(model.CudaCores),
                    Domain.Billing.Prices.Shown(o.AskPrice), o.LastConnection, now);
            }).ToList(), ApiJson.Api.ListOfferResponse);
        }).Documented("listOffers", ApiTags.Marketplace, "The marketplace: instances on offer, cheapest first", d => d
            .Describe("Every account's instances that are AVAILABLE and online (a contact within `Presence:OfflineAfter`), " +
                      "without owner or uuid. `ask_price` is the consumer price: the provider's ask plus the platform's 20% fee.")
            .Parameters(
                QueryParameter.Choice("type", "Only CPU (`1`, `cpu`) or GPU (`2`, `gpu`) instances.", "1", "2", "cpu", "gpu"),
                QueryParameter.Uuid("gpu", "Only instances with this GPU."),
                QueryParameter.Number("max_price", "Only instances whose consumer price (`ask_price` as shown) is at most this."))
            .Returns<List<OfferResponse>>());
    }
}
