using Mediator;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Changing;
using Sharedcloud.Es.Domain.Instances.Deleting;
using Sharedcloud.Es.Domain.Instances.Registering;
using Sharedcloud.Es.Projections.Instances;

namespace Sharedcloud.Es.Api.Instances;

public static class InstanceEndpoints
{
    public const string VersionOrAt = "Give either version or at, not both.";

    public static void MapInstances(this IEndpointRouteBuilder app)
    {
        var instances = app.MapGroup("/api/v1/instances");

        instances.MapGet("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var list = await mediator.Send(new ListInstances(http.AccountId()), ct);
            var now = new InstanceJson.ServerTime(clock.GetUtcNow()); // one time for the whole list, formatted once
            return ApiResults.Written(writer =>
            {
                writer.WriteStartArray();
                foreach (var stored in list) InstanceJson.Write(writer, stored, now);
                writer.WriteEndArray();
            }, sizeHint: list.Sum(stored => stored.Length) + 2); // a response is no longer than the stored JSON it is written from
        }).Documented("listInstances", ApiTags.Instances, "The caller's instances, newest first", d => d.Returns<List<InstanceResponse>>());

        // As it is, or with ?version=N or ?at=<time> as it was then (time travel).
        instances.MapGet("{id:guid}", async (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            if (PastQuery(id, http) is { } past)
            {
                var details = await mediator.Send(past, ct);
                return Preconditions.IfNoneMatch(http.Request, details.Version)
                    ? Preconditions.NotModified(http.Response, details.Version)
                    : Respond(details, http, clock, StatusCodes.Status200OK);
            }
            // As it is: written from the stored JSON.
            var stored = await mediator.Send(new GetStoredInstance(http.AccountId(), id), ct);
            var version = InstanceJson.VersionOf(stored);
            if (Preconditions.IfNoneMatch(http.Request, version)) return Preconditions.NotModified(http.Response, version);
            http.Response.SetETag(version);
            var now = clock.GetUtcNow();
            return ApiResults.Written(writer => InstanceJson.Write(writer, stored, now), sizeHint: stored.Length);
        }).Documented("getInstance", ApiTags.Instances, "One instance, as it is or as it was", d => d
            .Describe("With `version` or `at` (not both), the instance as it was then, also after its deletion; 404 where it did " +
                      "not exist. The ETag is that version's.")
            .Parameters(
                QueryParameter.Integer("version", "The instance right after its Nth event.", 1),
                QueryParameter.Time("at", "The instance with every event recorded up to this time."))
            .Returns<InstanceResponse>().ETag().IfNoneMatch().Errors(StatusCodes.Status404NotFound));

        instances.MapPost("", async (HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var fields = ReadFields(await RequestBody.ReadAsync(http.Request, ct));
            var recorded = await mediator.Send(new RegisterInstance(Guid.CreateVersion7(), http.AccountId(), fields), ct);
            return Respond(InstanceDetailsProjection.Registered(recorded.Event, recorded.At), http, clock,
                StatusCodes.Status201Created);
        }).Documented("createInstance", ApiTags.Instances, "Create an instance", d => d
            .Body<InstanceForm>().Returns<InstanceResponse>(StatusCodes.Status201Created, "The new instance (status 1, NOT_AVAILABLE).").ETag());

        instances.MapPut("{id:guid}", (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
            Change(id, replace: true, http, mediator, clock, ct))
            .Documented("replaceInstance", ApiTags.Instances, "Update an instance", d => d
                .Describe("`name` and `ask_price` are required; omitted fields keep their values.")
                .Body<InstanceForm>().Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));

        instances.MapPatch("{id:guid}", (Guid id, HttpContext http, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
            Change(id, replace: false, http, mediator, clock, ct))
            .Documented("changeInstance", ApiTags.Instances, "Change some of an instance's fields", d => d
                .Body<InstanceChangesForm>(required: false).Returns<InstanceResponse>().ETag().IfMatch()
                .Errors(StatusCodes.Status404NotFound));

        instances.MapDelete("{id:guid}", async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            await mediator.Send(new DeleteInstance(id, http.AccountId(), Preconditions.IfMatch(http.Request)), ct);
            return Results.NoContent();
        }).Documented("deleteInstance", ApiTags.Instances, "Delete an instance", d => d
            .NoContent("Deleted. Its history stays readable by its owner.").IfMatch().Errors(StatusCodes.Status404NotFound));
    }

    private static async Task<IResult> Change(Guid id, bool replace, HttpContext http, IMediator mediator, TimeProvider clock,
        CancellationToken ct)
    {
        var expected = await CheckPreconditionsAsync(id, http, mediator, ct);
        var fields = ReadFields(await RequestBody.ReadAsync(http.Request, ct));
        await mediator.Send(new ChangeInstance(id, http.AccountId(), replace, fields, expected), ct);
        return await Render(id, http, mediator, clock, StatusCodes.Status200OK, ct);
    }

    /// <summary>
    /// What a write to one instance checks before it reads its body: an instance that does not exist for
    /// the caller is 404 (as DRF's get_object before the serializer), then a stale If-Match is 412 (RFC
    /// 9110: preconditions before the content), whatever the body holds. Returns the If-Match for the
    /// command, whose decision checks both again under the stream's lock, where it counts.
    /// </summary>
    internal static async Task<ExpectedVersion?> CheckPreconditionsAsync(Guid id, HttpContext http, IMediator mediator,
        CancellationToken ct)
    {
        var expected = Preconditions.IfMatch(http.Request);
        var current = await mediator.Send(new GetInstance(http.AccountId(), id), ct);
        expected.ThrowIfNotMetBy(Instance.Kind, current.Version);
        return expected;
    }

    /// <summary>The time-travel query, when the request has ?version= or ?at=; bad values are 400.</summary>
    private static GetPastInstance? PastQuery(Guid id, HttpContext http)
    {
        var query = http.Request.Query;
        if (!query.ContainsKey("version") && !query.ContainsKey("at")) return null;
        var parameters = new QueryParameters(query);
        var version = parameters.Integer("version", 1, long.MaxValue);
        var at = parameters.Moment("at");
        parameters.ThrowIfInvalid();
        if (version is not null && at is not null)
            throw new DomainValidationException(FieldErrors.For(FieldErrors.NonField, VersionOrAt));
        return new GetPastInstance(http.AccountId(), id, version, at?.End);
    }

    internal static async Task<IResult> Render(Guid id, HttpContext http, IMediator mediator, TimeProvider clock, int status,
        CancellationToken ct) =>
        Respond(await mediator.Send(new GetInstance(http.AccountId(), id), ct), http, clock, status);

    /// <summary>One instance, with its version as the entity tag.</summary>
    private static IResult Respond(InstanceDetails details, HttpContext http, TimeProvider clock, int status)
    {
        http.Response.SetETag(details.Version);
        return Results.Json(InstanceResponse.From(details, clock.GetUtcNow()), ApiJson.Api.InstanceResponse,
            statusCode: status);
    }

    private static InstanceFields ReadFields(RequestBody body) => new(
        Name: body.Text("name"),
        AskPrice: body.Decimal("ask_price"),
        Type: body.InstanceType("type"),
        Gpu: body.Reference("gpu"),
        MaxNumParallelJobs: body.Integer("max_num_parallel_jobs"));
}
