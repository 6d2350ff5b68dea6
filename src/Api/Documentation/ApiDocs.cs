using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Api.Documentation;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>, Microsoft.AspNetCore.OpenApi) and the interactive
/// reference page (<c>/docs</c>, Scalar), which loads nothing from outside this service. Both are on
/// unless <c>ApiDocs:Enabled</c> is false.
/// </summary>
public static class ApiDocs
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string PagePrefix = "/docs";
    public const string EnabledKey = "ApiDocs:Enabled";

    public static readonly string[] BodyContentTypes =
        ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"];

    public const string Introduction =
        "The Sharedcloud marketplace API: providers rent out CPU and GPU machines (instances) at an ask price.\n\n" +
        "Every URL works with or without its trailing slash. Request bodies may be JSON, " +
        "`application/x-www-form-urlencoded` (what the official client sends) or `multipart/form-data`; form values " +
        "are strings. Authentication: `Authorization: Token <key>`, the key from `POST /api/v1/api-token-auth/`.\n\n" +
        "Errors are Django REST Framework's: `{\"detail\": \"...\"}` for the request as a whole, " +
        "`{\"<field>\": [\"...\"]}` with every failing field at once. Times are UTC, written `dd-MM-yyyy HH:mm:ss`.";

    /// <summary>
    /// The reference page's policy: as strict as the API's, but it may run its own scripts (the ones carrying
    /// this response's nonce), styles, and reach this origin. No remote origin is allowed for anything.
    /// </summary>
    private const string PagePolicy =
        "default-src 'none'; script-src 'self' 'nonce-{0}'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'self'; form-action 'none'; " +
        "frame-ancestors 'none'";

    public static void AddApiDocs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddOperationTransformer<OperationDocTransformer>();
            options.AddDocumentTransformer<ApiDocComponents>();
            options.AddSchemaTransformer((schema, context, _) =>
            {
                DescribeApiTypes(schema, context.JsonTypeInfo.Type);
                return Task.CompletedTask;
            });
        });
    }

    public static void MapApiDocs(this WebApplication app)
    {
        if (!app.Configuration.GetValue(EnabledKey, true)) return;

        // Only the one document: any other name is the API's own JSON 404, not the generator's text one.
        app.MapOpenApi("/openapi/{documentName:regex(^v1$)}.json");

        // Scalar redirects its bare prefix to the prefix with a slash, which the API's trailing-slash rule
        // strips again; the page is therefore served at /docs/v1, and /docs points there.
        app.MapGet(PagePrefix, (HttpContext http) => Results.Redirect($"{http.Request.PathBase}{PagePrefix}/{DocumentName}"))
            .ExcludeFromDescription();
        app.MapScalarApiReference(PagePrefix, (options, http) =>
            {
                options.WithTitle("Sharedcloud API")
                    .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                    .AddDocument(DocumentName)
                    .ExpandAllTags()
                    .WithNonce()
                    .DisableDefaultFonts()
                    .DisableTelemetry()
                    .DisableAgent()
                    .DisableMcp();
                // The page's relative URLs (its scripts) must resolve under the prefix whatever the address bar holds.
                options.HeadContent = $"<base href=\"{http.Request.PathBase}{PagePrefix}/\">";
            })
            .WithMetadata(new ReferencePage());

        app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ReferencePage>() is not null)
                context.Response.OnStarting(() =>
                {
                    var nonce = context.Items[ScalarOptions.NonceHttpContextItemKey] as string ?? "";
                    context.Response.Headers.ContentSecurityPolicy = string.Format(
                        System.Globalization.CultureInfo.InvariantCulture, PagePolicy, nonce);
                    return Task.CompletedTask;
                });
            return next(context);
        });
    }

    /// <summary>Types whose JSON the API writes its own way (see <see cref="ApiJson"/>).</summary>
    private static void DescribeApiTypes(OpenApiSchema schema, Type type)
    {
        var nullable = Nullable.GetUnderlyingType(type) is not null;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(DateTimeOffset))
        {
            schema.Type = nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
            schema.Format = null;
            schema.Pattern = @"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$";
            schema.Description ??= "UTC, `dd-MM-yyyy HH:mm:ss`.";
            schema.Examples = [JsonValue.Create("27-11-2026 07:09:25")];
        }
        else if (underlying == typeof(InstanceType))
        {
            schema.Enum = [JsonValue.Create(1), JsonValue.Create(2)];
            schema.Description ??= "1 = CPU, 2 = GPU.";
        }
        else if (underlying == typeof(InstanceStatus))
        {
            schema.Enum = [JsonValue.Create(1), JsonValue.Create(2)];
            schema.Description ??= "1 = NOT_AVAILABLE, 2 = AVAILABLE (on the market while online).";
        }
    }

    /// <summary>Marks the reference page's endpoint, which gets its own Content-Security-Policy.</summary>
    private sealed class ReferencePage;
}
