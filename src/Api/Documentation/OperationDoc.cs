namespace Sharedcloud.Es.Api.Documentation;

/// <summary>
/// What the OpenAPI document says about one route, declared next to its Map call with
/// <see cref="OperationDocs.Documented{TBuilder}"/>. The endpoints read their bodies and queries by hand, so the
/// generator cannot infer them: this names them. What follows from the route itself (the Token key, 401,
/// Idempotency-Key and its errors, X-Correlation-ID, 413/415 for a body, 503) is added by
/// <see cref="OperationDocTransformer"/> and need not be repeated here.
/// </summary>
public sealed record OperationDoc(string OperationId, string Tag, string Summary)
{
    public string? Description { get; init; }

    /// <summary>The request body's fields, accepted as JSON, url-encoded form and multipart form.</summary>
    public Type? BodyType { get; init; }

    public bool BodyRequired { get; init; }

    public IReadOnlyList<Success> Successes { get; init; } = [];

    public IReadOnlyList<QueryParameter> Query { get; init; } = [];

    /// <summary>Error statuses the route's own logic answers (400, 404, 412, ...), beyond those the route implies.</summary>
    public IReadOnlyList<int> ErrorStatuses { get; init; } = [];

    /// <summary>The success response carries <c>ETag: "N"</c>, the stream version.</summary>
    public bool HasETag { get; init; }

    public bool TakesIfMatch { get; init; }

    /// <summary><c>If-None-Match</c>: 304 with no body when the tag matches.</summary>
    public bool TakesIfNoneMatch { get; init; }

    /// <summary>The response may carry <c>Link: &lt;…&gt;; rel="next"</c>.</summary>
    public bool IsPaged { get; init; }

    public OperationDoc Describe(string description) => this with { Description = description };

    public OperationDoc Body<T>(bool required = true) => this with { BodyType = typeof(T), BodyRequired = required };

    /// <summary>A JSON success response of type <typeparamref name="T"/>.</summary>
    public OperationDoc Returns<T>(int status = StatusCodes.Status200OK, string? description = null) =>
        this with { Successes = [.. Successes, new Success(status, typeof(T), "application/json", description)] };

    /// <summary>A plain-text response (the health checks).</summary>
    public OperationDoc ReturnsText(int status, string example, string description) =>
        this with { Successes = [.. Successes, new Success(status, null, "text/plain", description, example)] };

    public OperationDoc NoContent(string description) =>
        this with { Successes = [.. Successes, new Success(StatusCodes.Status204NoContent, null, null, description)] };

    public OperationDoc Parameters(params QueryParameter[] query) => this with { Query = [.. Query, .. query] };

    /// <summary>A GET's time travel: <c>?version=</c> or <c>?at=</c> (<see cref="Infrastructure.PastStates"/>).</summary>
    public OperationDoc TimeTravel(string kind, string? versions = null) => Parameters(
        QueryParameter.Integer("version", $"The {kind} right after its Nth event{versions}.", 1),
        QueryParameter.Time("at", $"The {kind} with every event recorded up to this time."));

    public OperationDoc Errors(params int[] statuses) => this with { ErrorStatuses = [.. ErrorStatuses, .. statuses] };

    public OperationDoc ETag() => this with { HasETag = true };

    public OperationDoc IfMatch() => this with { TakesIfMatch = true, ErrorStatuses = [.. ErrorStatuses, StatusCodes.Status412PreconditionFailed] };

    public OperationDoc IfNoneMatch() => this with { TakesIfNoneMatch = true };

    public OperationDoc Paged() => this with { IsPaged = true };

    public sealed record Success(int Status, Type? Type, string? ContentType, string? Description, string? Example = null);
}

/// <summary>A query parameter, as <c>QueryParameters</c> reads it.</summary>
public sealed record QueryParameter(string Name, string Description, string Type, string? Format = null)
{
    public long? Minimum { get; init; }
    public long? Maximum { get; init; }
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>May be given more than once (<c>?type=a&amp;type=b</c>).</summary>
    public bool Repeatable { get; init; }

    public static QueryParameter Integer(string name, string description, long minimum, long? maximum = null) =>
        new(name, description, "integer", "int64") { Minimum = minimum, Maximum = maximum };

    public static QueryParameter Uuid(string name, string description) => new(name, description, "string", "uuid");

    public static QueryParameter Number(string name, string description) => new(name, description, "string", "decimal");

    /// <summary>A time as <c>Moment</c> parses it: ISO 8601 or the API's <c>dd-MM-yyyy HH:mm:ss</c>, UTC unless an offset is given.</summary>
    public static QueryParameter Time(string name, string description) => new(name,
        description + " ISO 8601 (`2026-11-27T07:09:25.029583Z`, `2026-11-27T07:09`, `2026-11-27`, with or without an offset; " +
        "none means UTC) or `dd-MM-yyyy HH:mm:ss` (UTC). A time to the second stands for that whole second, a date for its whole day.",
        "string");

    public static QueryParameter Choice(string name, string description, params string[] choices) =>
        new(name, description, "string") { Choices = choices };

    public static QueryParameter Text(string name, string description) => new(name, description, "string");
}

public static class OperationDocs
{
    /// <summary>
    /// Documents a route in the OpenAPI document: its operation id, tag (the reference page's section),
    /// summary, and whatever <paramref name="details"/> adds. Every route must have this (a test enforces
    /// it), or be excluded from the document on purpose with <c>ExcludeFromDescription()</c>.
    /// </summary>
    public static TBuilder Documented<TBuilder>(this TBuilder builder, string operationId, string tag, string summary,
        Func<OperationDoc, OperationDoc>? details = null) where TBuilder : IEndpointConventionBuilder
    {
        var doc = new OperationDoc(operationId, tag, summary);
        if (details is not null) doc = details(doc);
        builder.WithMetadata(doc);
        builder.WithSummary(summary);
        builder.WithTags(tag);
        foreach (var success in doc.Successes)
            builder.WithMetadata(new ProducesResponseTypeMetadata(success.Status, success.Type,
                success.ContentType is { } contentType ? [contentType] : []));
        return builder;
    }
}
