using System.Globalization;
using System.Text.Json.Serialization;
using Marten;
using Mediator;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections.Analytics;

namespace Sharedcloud.Es.Api.Analytics;

/// <summary>Statistics of one group of live instances. The averages are rounded to 6 decimal places.</summary>
public sealed record GroupStatistics(
    InstanceType? Type, Guid? Gpu, string? GpuName, int Instances, int Available,
    decimal MinAskPrice, decimal AvgAskPrice, decimal MaxAskPrice);

public sealed record TypeStatistics(
    InstanceType Type, int Instances, int Available, decimal MinAskPrice, decimal AvgAskPrice, decimal MaxAskPrice);

public sealed record GpuStatistics(
    Guid Gpu, string GpuName, int Instances, int Available, decimal MinAskPrice, decimal AvgAskPrice, decimal MaxAskPrice);

public sealed record MarketplaceStatistics(IReadOnlyList<TypeStatistics> Types, IReadOnlyList<GpuStatistics> Gpus);

public sealed record PriceHistoryEntry(
    long Version, decimal AskPrice, DateTimeOffset Timestamp,
    [property: JsonConverter(typeof(RecordedAtConverter))] DateTimeOffset RecordedAt, ActorResponse? Actor);

public sealed record ActorResponse(string Uuid, string Username);

public sealed record ActivityDay(string Date, int Total, IReadOnlyDictionary<string, int> Events);

public sealed record BillingDay(string Date, decimal Spent, decimal Earned, decimal Credited, int JobsCharged, int JobsPaid);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    Converters = [typeof(ApiTimestampConverter)])]
[JsonSerializable(typeof(MarketplaceStatistics))]
[JsonSerializable(typeof(List<PriceHistoryEntry>))]
[JsonSerializable(typeof(List<ActivityDay>))]
[JsonSerializable(typeof(List<BillingDay>))]
public sealed partial class AnalyticsJson : JsonSerializerContext
{
    public static AnalyticsJson Api { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Converters = { new ApiTimestampConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>The exact time, as <c>recorded_at</c> in an instance's events.</summary>
public sealed class RecordedAtConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert,
        System.Text.Json.JsonSerializerOptions options) => reader.GetDateTimeOffset();

    public override void Write(System.Text.Json.Utf8JsonWriter writer, DateTimeOffset value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
}

/// <summary>A read model's answer and how far its projection had got when it was read.</summary>
public sealed record Projected<T>(ProjectionProgress Progress, T Value);

public sealed record GetMarketplaceStatistics : IQuery<Projected<MarketplaceStatistics>>;

public sealed record GetPriceHistory(Guid AccountId, Guid InstanceId) : IQuery<Projected<List<PriceHistoryEntry>>>;

public sealed record GetActivity(Guid AccountId, DateOnly? Since, DateOnly? Until) : IQuery<Projected<List<ActivityDay>>>;

public sealed record GetBilling(Guid AccountId, DateOnly? Since, DateOnly? Until) : IQuery<Projected<List<BillingDay>>>;

public sealed class AnalyticsHandlers(ProjectionProgressReader progress, MarketStatisticsReader market, EventLog log, IQuerySession session) :
    IQueryHandler<GetMarketplaceStatistics, Projected<MarketplaceStatistics>>,
    IQueryHandler<GetPriceHistory, Projected<List<PriceHistoryEntry>>>,
    IQueryHandler<GetActivity, Projected<List<ActivityDay>>>,
    IQueryHandler<GetBilling, Projected<List<BillingDay>>>
{
    public async ValueTask<Projected<MarketplaceStatistics>> Handle(GetMarketplaceStatistics query, CancellationToken ct)
    {
        var position = await progress.ReadAsync(MarketListingProjection.ProjectionName, ct);
        var groups = await market.ReadAsync(ct);
        return new(position, new MarketplaceStatistics(
            groups.Where(g => g.Type is not null)
                .Select(g => new TypeStatistics(g.Type!.Value, g.Instances, g.Available, g.MinAskPrice, g.AvgAskPrice, g.MaxAskPrice))
                .OrderBy(t => t.Type).ToList(),
            groups.Where(g => g.Gpu is not null)
                .Select(g => new GpuStatistics(g.Gpu!.Value, g.GpuName!, g.Instances, g.Available, g.MinAskPrice, g.AvgAskPrice, g.MaxAskPrice))
                .OrderBy(g => g.GpuName, StringComparer.Ordinal).ThenBy(g => g.Gpu).ToList()));
    }

    public async ValueTask<Projected<List<PriceHistoryEntry>>> Handle(GetPriceHistory query, CancellationToken ct)
    {
        // The owner of a deleted instance still sees its history, as with GET /instances/<uuid>/events/.
        if (await log.StreamOwnerAsync(query.InstanceId, "instance_registered", ct) != query.AccountId) throw new NotFoundException();
        var position = await progress.ReadAsync(PriceHistoryProjection.ProjectionName, ct);
        var changes = await session.Query<PriceChange>()
            .Where(x => x.InstanceId == query.InstanceId).OrderBy(x => x.StreamVersion).ToListAsync(ct);
        return new(position, changes.Select(c => new PriceHistoryEntry(
            c.StreamVersion, c.AskPrice, c.At, c.At,
            c.ActorId is { } id && c.ActorName is { } name && name != RequestAudit.SystemActor ? new ActorResponse(id, name) : null)).ToList());
    }

    public async ValueTask<Projected<List<ActivityDay>>> Handle(GetActivity query, CancellationToken ct)
    {
        var position = await progress.ReadAsync(DailyActivityProjection.ProjectionName, ct);
        var days = session.Query<DailyActivity>().Where(x => x.AccountId == query.AccountId);
        if (query.Since is { } since) days = days.Where(x => x.Day >= Midnight(since));
        if (query.Until is { } until) days = days.Where(x => x.Day <= Midnight(until));
        var rows = await days.OrderBy(x => x.Day).ToListAsync(ct);
        return new(position, rows.Select(d => new ActivityDay(
            d.Day.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Total, d.Events)).ToList());
    }

    public async ValueTask<Projected<List<BillingDay>>> Handle(GetBilling query, CancellationToken ct)
    {
        var position = await progress.ReadAsync(DailyBillingProjection.ProjectionName, ct);
        var days = session.Query<DailyBilling>().Where(x => x.AccountId == query.AccountId);
        if (query.Since is { } since) days = days.Where(x => x.Day >= Midnight(since));
        if (query.Until is { } until) days = days.Where(x => x.Day <= Midnight(until));
        var rows = await days.OrderBy(x => x.Day).ToListAsync(ct);
        return new(position, rows.Select(d => new BillingDay(
            d.Day.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Spent, d.Earned, d.Credited, d.JobsCharged, d.JobsPaid)).ToList());
    }

    private static DateTimeOffset Midnight(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
}

public static class AnalyticsEndpoints
{
    /// <summary>DRF's DateField message.</summary>
    public const string DateFormatMessage = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.";
    public const string SinceAfterUntil = "since must not be later than until.";

    private const string Lag = " The `X-Projection-Lag` header says how many events of the log the projection had not processed yet (0: up to date), `X-Projection-Position` up to which event sequence it had.";

    public static void MapAnalytics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/analytics/marketplace", async (HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            var statistics = await mediator.Send(new GetMarketplaceStatistics(), ct);
            statistics.Progress.WriteTo(http.Response);
            return ApiResults.Ok(statistics.Value, AnalyticsJson.Api.MarketplaceStatistics);
        }).Documented("getMarketplaceStatistics", ApiTags.Analytics, "Marketplace statistics per instance type and GPU model", d => d
            .Describe("Instances, how many are AVAILABLE, and the lowest, average and highest ask price of the live ones. Shows no owner."
                      + Lag)
            .Returns<MarketplaceStatistics>());

        app.MapGet("/api/v1/instances/{id:guid}/price-history", async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            var history = await mediator.Send(new GetPriceHistory(http.AccountId(), id), ct);
            history.Progress.WriteTo(http.Response);
            return ApiResults.Ok(history.Value, AnalyticsJson.Api.ListPriceHistoryEntry);
        }).Documented("listPriceHistory", ApiTags.Analytics, "An instance's ask prices over time", d => d
            .Describe("Every ask price the instance had, the registration's first, with its time and actor; also once deleted, for its owner."
                      + Lag)
            .Returns<List<PriceHistoryEntry>>().Errors(StatusCodes.Status404NotFound));

        app.MapGet("/api/v1/analytics/activity", async (HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            var (since, until) = Days(http.Request.Query);
            var activity = await mediator.Send(new GetActivity(http.AccountId(), since, until), ct);
            activity.Progress.WriteTo(http.Response);
            return ApiResults.Ok(activity.Value, AnalyticsJson.Api.ListActivityDay);
        }).Documented("listActivity", ApiTags.Analytics, "The caller's daily activity", d => d
            .Describe("Per UTC day, the number of events of the caller's account and instances, by type." + Lag)
            .Parameters(DayParameters)
            .Returns<List<ActivityDay>>().Errors(StatusCodes.Status400BadRequest));

        MapBilling(app);
    }

    private static void MapBilling(IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/analytics/billing", async (HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            var (since, until) = Days(http.Request.Query);
            var billing = await mediator.Send(new GetBilling(http.AccountId(), since, until), ct);
            billing.Progress.WriteTo(http.Response);
            return ApiResults.Ok(billing.Value, AnalyticsJson.Api.ListBillingDay);
        }).Documented("listBilling", ApiTags.Analytics, "The caller's spending and earnings per day", d => d
            .Describe("Per UTC day: what the caller spent on jobs, earned with its instances, and was credited; the days sum " +
                      "to the balance." + Lag)
            .Parameters(DayParameters)
            .Returns<List<BillingDay>>().Errors(StatusCodes.Status400BadRequest));

    private static readonly QueryParameter[] DayParameters =
    [
        new("since", "The first day (`YYYY-MM-DD`, UTC).", "string", "date"),
        new("until", "The last day (`YYYY-MM-DD`, UTC).", "string", "date"),
    ];

    /// <summary>An analytics range of UTC days, <c>?since=</c> and <c>?until=</c> (each optional); bad ones are 400.</summary>
    private static (DateOnly? Since, DateOnly? Until) Days(IQueryCollection values)
    {
        var query = new QueryParameters(values);
        var since = Date(query, values, "since");
        var until = Date(query, values, "until");
        if (since > until) query.Fail(FieldErrors.NonField, SinceAfterUntil);
        query.ThrowIfInvalid();
        return (since, until);
    }

    /// <summary>A UTC calendar day, <c>YYYY-MM-DD</c> (DRF's DateField: the last value wins).</summary>
    private static DateOnly? Date(QueryParameters query, IQueryCollection values, string name)
    {
        if (values[name] is not { Count: > 0 } given) return null;
        if (DateOnly.TryParseExact(given[^1]?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return day;
        query.Fail(name, DateFormatMessage);
        return null;
    }
}
