using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Infrastructure.Idempotency;

namespace Sharedcloud.Es.Api.Documentation;

/// <summary>
/// The document as a whole: its info and tags, the Token scheme, the shared headers, parameters and error
/// responses that <see cref="OperationDocTransformer"/> refers to, and the routes that are not route
/// handlers (the health checks), which the generator does not see.
/// </summary>
public sealed class ApiDocComponents : IOpenApiDocumentTransformer
{
    public const string TokenScheme = "Token";
    public const string IfMatch = "If-Match";
    public const string IfNoneMatch = "If-None-Match";
    public const string IdempotencyKey = "Idempotency-Key";
    public const string CorrelationId = "X-Correlation-ID";
    public const string CorrelationIdHeader = RequestAudit.CorrelationHeader;
    public const string ETag = "ETag";
    public const string Link = "Link";
    public const string IdempotentReplayed = "Idempotent-Replayed";
    public const string RetryAfter = "Retry-After";
    public const string NotModified = "NotModified";
    public const string ErrorSchema = "Error";
    public const string FieldErrorsSchema = "FieldErrors";

    /// <summary>The sections of the reference page. A route's tag must be one of these.</summary>
    public static readonly IReadOnlyDictionary<string, string> Tags = new Dictionary<string, string>
    {
        [ApiTags.Accounts] = "Sign-up, login (the API key) and the caller's own account.",
        [ApiTags.Instances] = "The caller's machines on the marketplace: create, read (also as they were), change, delete.",
        [ApiTags.Machine] = "What the provider's machine calls: start and stop, the job poll, installed images.",
        [ApiTags.Marketplace] = "The catalogs (GPUs, images) and the instances on offer.",
        [ApiTags.Audit] = "Every change as an event: one instance's history, or the caller's whole feed.",
        [ApiTags.Analytics] = "Read models over the whole history, built by an asynchronous projection: X-Projection-Lag says how far behind they are.",
        [ApiTags.Health] = "For load balancers and orchestrators; outside the API, no key needed.",
    };

    /// <summary>The error responses by status: name in components, description, and an example body.</summary>
    private static readonly Dictionary<int, (string Name, string Description, string Example)> ErrorResponses = new()
    {
        [400] = ("BadRequest",
            "The request is invalid: field errors (`{\"field\": [\"message\"]}`, every failing field at once; " +
            "`non_field_errors` for the request as a whole), or `{\"detail\": \"...\"}` for a body that cannot be parsed " +
            "or a malformed `Idempotency-Key`. Nothing was written.",
            "{\"ask_price\": [\"A valid number is required.\"], \"name\": [\"This field is required.\"]}"),
        [401] = ("Unauthorized",
            "No valid key: `Authorization: Token <key>` is missing, malformed, or not a current key. Answered before anything " +
            "else, also on URLs and methods that would be 404 or 405. The response carries `WWW-Authenticate: Token`.",
            $"{{\"detail\": \"{TokenAuthentication.NotProvided}\"}}"),
        [404] = ("NotFound", "No such object for the caller (another account's objects are 404 too, never 403).",
            "{\"detail\": \"Not found.\"}"),
        [409] = ("Conflict",
            "A request with the same `Idempotency-Key` is still in flight (retry after `Retry-After`), or was carried out " +
            "but its response was lost; or concurrent writes kept colliding. Nothing more was written.",
            $"{{\"detail\": \"{IdempotencyMiddleware.InProgress}\"}}"),
        [412] = ("PreconditionFailed",
            "`If-Match` names no current version of the object: it was changed since it was read. Nothing was written.",
            "{\"detail\": \"Precondition failed: the instance was modified (current version 3).\"}"),
        [413] = ("PayloadTooLarge", "The body is larger than `Limits:MaxRequestBodyBytes` (64 KiB by default).",
            "{\"detail\": \"Request body is too large.\"}"),
        [415] = ("UnsupportedMediaType",
            "The body is neither JSON, `application/x-www-form-urlencoded` nor `multipart/form-data`.",
            "{\"detail\": \"Unsupported media type \\\"text/plain\\\" in request.\"}"),
        [422] = ("UnprocessableEntity", "The `Idempotency-Key` was used before with a different request (method, path, body).",
            $"{{\"detail\": \"{IdempotencyMiddleware.Reused}\"}}"),
        [429] = ("TooManyRequests",
            "Throttled: too many logins or sign-ups from this address, or reads or writes from this account, in the " +
            "configured window (`RateLimits:*`); retry after `Retry-After` seconds. Nothing was written.",
            "{\"detail\": \"Request was throttled. Expected available in 12 seconds.\"}"),
        [503] = ("ServiceUnavailable", "The database cannot be reached; retry after `Retry-After` seconds. Nothing was written.",
            "{\"detail\": \"Service temporarily unavailable.\"}"),
    };

    public static string ErrorResponseName(int status) =>
        ErrorResponses.TryGetValue(status, out var response)
            ? response.Name
            : throw new InvalidOperationException($"Status {status} has no error response in {nameof(ApiDocComponents)}; add one.");

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Sharedcloud API",
            Version = "v1",
            Description = ApiDocs.Introduction,
        };
        AddRoutesOutsideTheGenerator(document, context);
        // The generator names the address the document was asked at, with a slash that would double up
        // before every path.
        foreach (var server in document.Servers ?? []) server.Url = server.Url?.TrimEnd('/');

        var used = UsedTags(document);
        document.Tags = new HashSet<OpenApiTag>(Tags.Where(t => used.Contains(t.Key))
            .Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));

        document.Components ??= new OpenApiComponents();
        document.AddComponent(TokenScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "Authorization",
            Description = "Django REST Framework's token scheme: `Authorization: Token <key>`, the key from " +
                          "`POST /api/v1/api-token-auth/`. A changed account or a deleted one invalidates its key.",
        });

        AddSchemas(document);
        AddParameters(document);
        AddHeaders(document);
        AddResponses(document, Referenced(document));
        return Task.CompletedTask;
    }

    private static void AddSchemas(OpenApiDocument document)
    {
        document.AddComponent(ErrorSchema, new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An error about the request as a whole (Django REST Framework's shape).",
            Properties = new Dictionary<string, IOpenApiSchema> { ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String } },
            Required = new HashSet<string> { "detail" },
        });
        document.AddComponent(FieldErrorsSchema, new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Every failing field with its messages; `non_field_errors` for rules about several fields.",
            AdditionalProperties = new OpenApiSchema
            {
                Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String },
            },
        });
    }

    private static void AddParameters(OpenApiDocument document)
    {
        document.AddComponent<IOpenApiParameter>(IfMatch, Header(IfMatch,
            "Write only if the object is still at this version: its `ETag` (`\"N\"`), a list, or `*`. Strong comparison; " +
            "a malformed value matches nothing. Otherwise 412 and nothing is written."));
        document.AddComponent<IOpenApiParameter>(IfNoneMatch, Header(IfNoneMatch,
            "The `ETag` the client holds (`\"N\"`, `W/\"N\"`, a list, or `*`): 304 with no body while it is current."));
        document.AddComponent<IOpenApiParameter>(IdempotencyKey, Header(IdempotencyKey,
            "1 to 255 printable ASCII characters (a random UUID per operation). A repeat with the same key, account and " +
            "request within the retention (24 h) gets the stored response with `Idempotent-Replayed: true` and nothing " +
            "is done again. Login accepts the key but stores nothing.", maxLength: IdempotencyMiddleware.MaxKeyLength));
        document.AddComponent<IOpenApiParameter>(CorrelationId, Header(CorrelationIdHeader,
            "Up to 128 letters, digits and `-_.:/+=@`, recorded on every event the request appends; one is generated " +
            "when absent. The response carries it back.", maxLength: 128));
    }

    private static OpenApiParameter Header(string name, string description, int? maxLength = null) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = maxLength },
    };

    private static void AddHeaders(OpenApiDocument document)
    {
        document.AddComponent<IOpenApiHeader>(ETag, Text("The object's version, `\"N\"`: a strong tag for `If-Match` and `If-None-Match`."));
        document.AddComponent<IOpenApiHeader>(Link, Text("`<url>; rel=\"next\"` when more remain: the same query, one page on."));
        document.AddComponent<IOpenApiHeader>(CorrelationId, Text("The request's correlation id, as sent or generated."));
        document.AddComponent<IOpenApiHeader>(IdempotentReplayed,
            Text("`true` when this is the stored response of an earlier request with the same `Idempotency-Key`."));
        document.AddComponent<IOpenApiHeader>(RetryAfter, Text("Seconds to wait before retrying."));
    }

    private static OpenApiHeader Text(string description) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };

    private static void AddResponses(OpenApiDocument document, IReadOnlySet<string> referenced)
    {
        foreach (var (status, (name, description, example)) in ErrorResponses)
        {
            if (!referenced.Contains(name)) continue;
            IOpenApiSchema schema = status == 400
                ? new OpenApiSchema
                {
                    OneOf = [new OpenApiSchemaReference(FieldErrorsSchema, document), new OpenApiSchemaReference(ErrorSchema, document)],
                }
                : new OpenApiSchemaReference(ErrorSchema, document);
            var response = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = schema, Example = JsonNode.Parse(example) },
                },
            };
            if (status is 409 or 429 or 503)
                response.Headers = new Dictionary<string, IOpenApiHeader> { [RetryAfter] = new OpenApiHeaderReference(RetryAfter, document) };
            document.AddComponent<IOpenApiResponse>(name, response);
        }
        if (referenced.Contains(NotModified))
            document.AddComponent<IOpenApiResponse>(NotModified, new OpenApiResponse
            {
                Description = "The version named in `If-None-Match` is current: no body.",
                Headers = new Dictionary<string, IOpenApiHeader> { [ETag] = new OpenApiHeaderReference(ETag, document) },
            });
    }

    /// <summary>The response components the operations refer to: only those are defined.</summary>
    private static HashSet<string> Referenced(OpenApiDocument document) =>
        Operations(document)
            .SelectMany(o => o.Responses?.Values ?? Enumerable.Empty<IOpenApiResponse>())
            .OfType<OpenApiResponseReference>()
            .Select(r => r.Reference.Id!)
            .ToHashSet();

    private static HashSet<string> UsedTags(OpenApiDocument document) =>
        Operations(document).SelectMany(o => o.Tags ?? Enumerable.Empty<OpenApiTagReference>()).Select(t => t.Name!).ToHashSet();

    private static IEnumerable<OpenApiOperation> Operations(OpenApiDocument document) =>
        document.Paths.Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>());

    /// <summary>
    /// Documented routes that are not route handlers (MapHealthChecks), which the API explorer does not
    /// describe: their operations are built from the <see cref="OperationDoc"/> alone, as GET.
    /// </summary>
    private static void AddRoutesOutsideTheGenerator(OpenApiDocument document, OpenApiDocumentTransformerContext context)
    {
        var described = context.DescriptionGroups
            .SelectMany(g => g.Items)
            .SelectMany(d => d.ActionDescriptor.EndpointMetadata.OfType<OperationDoc>())
            .ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var endpoint in context.ApplicationServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<OperationDoc>() is not { } doc || described.Contains(doc)) continue;
            var path = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            var operation = new OpenApiOperation
            {
                Tags = new HashSet<OpenApiTagReference> { new(doc.Tag, document) },
                Responses = new OpenApiResponses(),
            };
            OperationDocTransformer.Apply(operation, doc, "GET", path, document);
            document.Paths[path] = new OpenApiPathItem { Operations = new() { [HttpMethod.Get] = operation } };
        }
    }
}

/// <summary>The reference page's sections (OpenAPI tags).</summary>
public static class ApiTags
{
    public const string Accounts = "Accounts";
    public const string Instances = "Instances";
    public const string Machine = "Machine";
    public const string Marketplace = "Marketplace";
    public const string Functions = "Functions";
    public const string Runs = "Runs";
    public const string Jobs = "Jobs";
    public const string Audit = "Audit";
    public const string Analytics = "Analytics";
    public const string Health = "Health";
}
