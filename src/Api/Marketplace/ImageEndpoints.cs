using Marten;
using Marten.Schema;
using Mediator;
using Npgsql;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Api.Instances.Reading;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Images;
using Sharedcloud.Es.Projections;
using Sharedcloud.Es.Projections.Images;

namespace Sharedcloud.Es.Api.Marketplace;

/// <summary>The image object, fields in production's order.</summary>
public sealed record ImageResponse(
    Guid Uuid, DateTimeOffset CurrentServerTime, int NumInstallations, string RegistryPath, DateTimeOffset UpdatedAt,
    DateTimeOffset CreatedAt, string Name, string Description, bool RequiresGpu, string Runtime, string Tag);

/// <summary>The catalog, oldest first, each image with the number of instances that have it installed.</summary>
public sealed record ListImages : IQuery<IReadOnlyList<(ImageDocument Image, int Installations)>>;

public sealed class ImageHandlers(IQuerySession session, NpgsqlDataSource dataSource) :
    IQueryHandler<ListImages, IReadOnlyList<(ImageDocument, int)>>
{
    // Counted over the instance read model, which every instance write updates in its own
    // transaction: exact at any moment, and rebuilt with the instances on a replay.
    private const string InstallationsSql =
        "select image, count(*)::int from " +
        $"{MartenConfiguration.Schema}.mt_doc_instancedetails, jsonb_array_elements_text(data -> 'downloaded_images') as image " +
        "group by image";

    public async ValueTask<IReadOnlyList<(ImageDocument, int)>> Handle(ListImages query, CancellationToken ct)
    {
        var images = await session.Query<ImageDocument>().OrderBy(x => x.CreatedAt).ToListAsync(ct);
        var installations = new Dictionary<string, int>();
        await using (var command = dataSource.CreateCommand(InstallationsSql))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                installations[reader.GetString(0)] = reader.GetInt32(1);
        return images.Select(i => (i, installations.GetValueOrDefault(i.RegistryPath))).ToList();
    }
}

public static class ImageEndpoints
{
    public static void MapImages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/images", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var query = new QueryParameters(http.Request.Query);
            var instanceId = query.Uuid("instance");
            query.ThrowIfInvalid();

            var images = await mediator.Send(new ListImages(), ct);
            if (instanceId is { } id)
            {
                // Only the caller's instances: anyone else's does not exist for them.
                var installed = (await mediator.Send(new GetInstance(http.AccountId(), id), ct)).DownloadedImages;
                images = images.Where(i => installed.Contains(i.Image.RegistryPath)).ToList();
            }
            var now = clock.GetUtcNow();
            return ApiResults.Ok(images.Select(i => ToResponse(i.Image, i.Installations, now)).ToList(), ApiJson.Api.ListImageResponse);
        }).Documented("listImages", ApiTags.Marketplace, "The image catalog, oldest first", d => d
            .Describe("`num_installations`: how many instances (of every account) have the image installed.")
            .Parameters(QueryParameter.Uuid("instance", "Only the images installed on this instance of the caller's (404 for anyone else's)."))
            .Returns<List<ImageResponse>>().Errors(StatusCodes.Status404NotFound));

        app.MapGet("/api/v1/images/{id:guid}", async (Guid id, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var images = await mediator.Send(new ListImages(), ct);
            var (image, installations) = images.FirstOrDefault(i => i.Image.Id == id);
            if (image is null) throw new NotFoundException();
            return ApiResults.Ok(ToResponse(image, installations, clock.GetUtcNow()), ApiJson.Api.ImageResponse);
        }).Documented("getImage", ApiTags.Marketplace, "One image of the catalog", d => d
            .Returns<ImageResponse>().Errors(StatusCodes.Status404NotFound));
    }

    private static ImageResponse ToResponse(ImageDocument i, int installations, DateTimeOffset now) =>
        new(i.Id, now, installations, i.RegistryPath, i.CreatedAt, i.CreatedAt, i.Name, i.Description, i.RequiresGpu,
            i.Runtime, i.Tag);
}

/// <summary>Writes the shipped catalog at start-up; storing by id makes it idempotent.</summary>
public sealed class ImageCatalogSeed : IInitialData
{
    public async Task Populate(IDocumentStore store, CancellationToken cancellation)
    {
        await using var session = store.LightweightSession();
        session.Store(ImageCatalog.All.Select(i => new ImageDocument
        {
            Id = i.Uuid, Name = i.Name, RegistryPath = i.RegistryPath, Description = i.Description,
            RequiresGpu = i.RequiresGpu, Runtime = i.Runtime, Tag = i.Tag, CreatedAt = i.CreatedAt,
        }).ToArray());
        await session.SaveChangesAsync(cancellation);
    }
}
