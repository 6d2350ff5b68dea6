using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Infrastructure.Idempotency;

namespace Sharedcloud.Es.Api.Documentation;

/// <summary>
/// Completes each generated operation from its route's <see cref="OperationDoc"/>, and adds what the route
/// implies wherever it applies, asking the same predicates as the middleware that enforces it: the Token
/// key and 401, Idempotency-Key with its 400/409/422, 413 and 415 for a body, 503 for anything that reads
/// the database, X-Correlation-ID.
/// </summary>
public sealed class OperationDocTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<OperationDoc>().LastOrDefault() is not { } doc) return;
        var document = context.Document ?? throw new InvalidOperationException("No document to refer to.");
        if (doc.BodyType is { } body) operation.RequestBody = await RequestBodyAsync(body, doc.BodyRequired, context, document, ct);
        Apply(operation, doc, context.Description.HttpMethod ?? "GET", "/" + context.Description.RelativePath, document);
    }

    /// <summary>
    /// The body in every encoding the endpoints read. Declared here rather than as endpoint metadata
    /// (Accepts), which routing would enforce, answering other content types with a bare 415 of its own.
    /// </summary>
    private static async Task<OpenApiRequestBody> RequestBodyAsync(Type type, bool required,
        OpenApiOperationTransformerContext context, OpenApiDocument document, CancellationToken ct)
    {
        var schemas = (document.Components ??= new OpenApiComponents()).Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!schemas.ContainsKey(type.Name)) schemas[type.Name] = await context.GetOrCreateSchemaAsync(type, null, ct);
        var reference = new OpenApiSchemaReference(type.Name, document);
        return new OpenApiRequestBody
        {
            Required = required,
            Content = ApiDocs.BodyContentTypes.ToDictionary(c => c, _ => new OpenApiMediaType { Schema = reference }),
        };
    }

    public static void Apply(OpenApiOperation operation, OperationDoc doc, string method, string path, OpenApiDocument document)
    {
        var isApi = path.StartsWith("/api/v1/", StringComparison.Ordinal);
        var authenticated = Caller.RequiresAuthentication(method, path);
        var idempotent = IdempotencyMiddleware.Applies(method, path);
        var storesResponse = idempotent && IdempotencyMiddleware.StoresResponse(method, path);

        operation.OperationId = doc.OperationId;
        operation.Summary = doc.Summary;
        if (doc.Description is not null) operation.Description = doc.Description;

        var parameters = operation.Parameters ??= [];
        foreach (var query in doc.Query) parameters.Add(Query(query));
        if (doc.TakesIfMatch) parameters.Add(new OpenApiParameterReference(ApiDocComponents.IfMatch, document));
        if (doc.TakesIfNoneMatch) parameters.Add(new OpenApiParameterReference(ApiDocComponents.IfNoneMatch, document));
        if (idempotent) parameters.Add(new OpenApiParameterReference(ApiDocComponents.IdempotencyKey, document));
        if (isApi) parameters.Add(new OpenApiParameterReference(ApiDocComponents.CorrelationId, document));

        operation.Security = authenticated
            ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiDocComponents.TokenScheme, document)] = [] }]
            : [new OpenApiSecurityRequirement()]; // explicitly open: sign-up, login, health

        var responses = operation.Responses ??= new OpenApiResponses();
        foreach (var success in doc.Successes)
        {
            var key = success.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!responses.TryGetValue(key, out var generated) || generated is not OpenApiResponse response)
                responses[key] = response = new OpenApiResponse();
            Complete(response, success, doc, isApi, storesResponse, document);
        }
        if (doc.TakesIfNoneMatch)
            responses["304"] = new OpenApiResponseReference(ApiDocComponents.NotModified, document);

        var errors = new SortedSet<int>(doc.ErrorStatuses);
        if (doc.Query.Count > 0) errors.Add(400);
        if (doc.BodyType is not null) errors.UnionWith([400, 413, 415]);
        if (authenticated) errors.Add(401);
        if (idempotent) errors.Add(400);
        if (storesResponse) errors.UnionWith([409, 422]);
        // Every API route is throttled (login and sign-up per address, the rest per account).
        if (isApi) errors.Add(429);
        if (isApi) errors.Add(503);
        foreach (var status in errors)
            responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                new OpenApiResponseReference(ApiDocComponents.ErrorResponseName(status), document);
    }

    private static void Complete(OpenApiResponse response, OperationDoc.Success success, OperationDoc doc, bool isApi,
        bool storesResponse, OpenApiDocument document)
    {
        if (success.Description is not null) response.Description = success.Description;
        response.Description ??= "Success.";
        if (success.Example is { } example && success.ContentType is { } contentType)
            response.Content = new Dictionary<string, OpenApiMediaType>
            {
                [contentType] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Example = JsonValue.Create(example) },
            };

        var headers = response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        if (isApi) headers[ApiDocComponents.CorrelationIdHeader] = new OpenApiHeaderReference(ApiDocComponents.CorrelationId, document);
        if (doc.HasETag) headers["ETag"] = new OpenApiHeaderReference(ApiDocComponents.ETag, document);
        if (doc.IsPaged) headers["Link"] = new OpenApiHeaderReference(ApiDocComponents.Link, document);
        if (storesResponse)
            headers[IdempotencyMiddleware.ReplayedHeader] = new OpenApiHeaderReference(ApiDocComponents.IdempotentReplayed, document);
    }

    private static OpenApiParameter Query(QueryParameter query)
    {
        var schema = new OpenApiSchema
        {
            Type = query.Type == "integer" ? JsonSchemaType.Integer : JsonSchemaType.String,
            Format = query.Format,
            Minimum = query.Minimum?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Maximum = query.Maximum?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Enum = query.Choices?.Select(c => (JsonNode)JsonValue.Create(c)).ToList(),
        };
        return new OpenApiParameter
        {
            Name = query.Name,
            In = ParameterLocation.Query,
            Description = query.Description,
            Schema = query.Repeatable ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = schema } : schema,
            Style = query.Repeatable ? ParameterStyle.Form : null,
            Explode = query.Repeatable,
        };
    }
}
