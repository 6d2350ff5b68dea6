using JasperFx.Core;
using Marten;
using Marten.Schema;
using Mediator;
using Microsoft.Extensions.Options;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Api.Instances.Machine;
using Sharedcloud.Es.Api.Marketplace;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Gpus;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections.Gpus;

namespace Sharedcloud.Es.Api.Gpus;

public sealed record GpuResponse(
    Guid Uuid, string Name, string Codename, int CudaCores, bool IsAvailable, DateTimeOffset CreatedAt,
    DateTimeOffset CurrentServerTime);

/// <summary>The catalog, most CUDA cores first (production's order).</summary>
public sealed record ListGpus : IQuery<IReadOnlyList<(GpuDocument Gpu, bool IsAvailable)>>;

public sealed class GpuHandlers(IQuerySession session, TimeProvider clock, IOptions<PresenceOptions> presence)
    : IQueryHandler<ListGpus, IReadOnlyList<(GpuDocument, bool)>>
{
    public async ValueTask<IReadOnlyList<(GpuDocument, bool)>> Handle(ListGpus query, CancellationToken ct)
    {
        var gpus = await session.Query<GpuDocument>().OrderByDescending(x => x.CudaCores).ToListAsync(ct);
        // A GPU is available while at least one instance on the market (AVAILABLE and online) has it.
        var available = (await session.Query<Instance>()
            .OnTheMarket(clock.GetUtcNow(), presence.Value)
            .Where(x => x.GpuId != null)
            .Select(x => x.GpuId!.Value)
            .ToListAsync(ct)).ToHashSet();
        return gpus.Select(g => (g, available.Contains(g.Id))).ToList();
    }
}

public static class GpuEndpoints
{
    public static void MapGpus(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/gpus", async (IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow();
            var gpus = await mediator.Send(new ListGpus(), ct);
            return ApiResults.Ok(gpus.Select(g => ToResponse(g.Gpu, g.IsAvailable, now)).ToList(), ApiJson.Api.ListGpuResponse);
        }).Documented("listGpus", ApiTags.Marketplace, "The GPU catalog, most CUDA cores first", d => d
            .Describe("`is_available`: at least one instance with this GPU is on the market now.")
            .Returns<List<GpuResponse>>());

        app.MapGet("/api/v1/gpus/{id:guid}", async (Guid id, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var gpus = await mediator.Send(new ListGpus(), ct);
            var (gpu, available) = gpus.FirstOrDefault(g => g.Gpu.Id == id);
            if (gpu is null) throw new NotFoundException();
            return ApiResults.Ok(ToResponse(gpu, available, clock.GetUtcNow()), ApiJson.Api.GpuResponse);
        }).Documented("getGpu", ApiTags.Marketplace, "One GPU of the catalog", d => d
            .Returns<GpuResponse>().Errors(StatusCodes.Status404NotFound));
    }

    private static GpuResponse ToResponse(GpuDocument g, bool available, DateTimeOffset now) =>
        new(g.Id, g.Name, g.Codename, g.CudaCores, available, g.CreatedAt, now);
}

/// <summary>Writes the shipped catalog at start-up; storing by id makes it idempotent.</summary>
public sealed class GpuCatalogSeed : IInitialData
{
    public async Task Populate(IDocumentStore store, CancellationToken cancellation)
    {
        await using var session = store.LightweightSession();
        session.Store(GpuCatalog.All.Select(g => new GpuDocument
        {
            Id = g.Uuid, Name = g.Name, Codename = g.Codename, CudaCores = g.CudaCores, CreatedAt = g.CreatedAt,
        }).ToArray());
        await session.SaveChangesAsync(cancellation);
    }
}
