using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Npgsql;
using Sharedcloud.Es.Api.Auth;

namespace Sharedcloud.Es.Api.Infrastructure.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> on unsafe requests: a repeat of a request (same account, key, method,
/// path, Content-Type and body) within the retention gets the first response again instead of
/// doing the work twice. Repeats take turns on an advisory lock, so one still in flight is waited
/// for (or answered 409), never run alongside.
/// </summary>
public sealed class IdempotencyMiddleware(
    RequestDelegate next, NpgsqlDataSource dataSource, IOptions<IdempotencyOptions> options, ILogger<IdempotencyMiddleware> logger)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 255;

    public const string InvalidKey = "Invalid Idempotency-Key header: it must be 1 to 255 printable ASCII characters.";
    public const string RepeatedHeader = "Invalid Idempotency-Key header: send it only once.";
    public const string Reused = "Idempotency-Key reused with a different request.";
    public const string InProgress = "A request with this Idempotency-Key is still in progress. Retry later.";
    public const string ResponseLost =
        "The request with this Idempotency-Key was carried out, but its response was lost. Read the resource to see the outcome.";

    /// <summary>The response headers a replay repeats besides status and body.</summary>
    private static readonly string[] StoredHeaders = ["Content-Type", "Location", "ETag"];

    private readonly IdempotencyOptions _options = options.Value;

    /// <summary>Only for the requests that <see cref="Engages"/> (<see cref="Idempotency.UseIdempotencyKeys"/> branches on it).</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var values = request.Headers[Header];

        var ct = context.RequestAborted;
        if (values.Count != 1)
        {
            await ErrorTable.WriteDetail(context.Response, StatusCodes.Status400BadRequest, RepeatedHeader, ct);
            return;
        }
        var key = values[0] ?? "";
        if (!IsValidKey(key))
        {
            await ErrorTable.WriteDetail(context.Response, StatusCodes.Status400BadRequest, InvalidKey, ct);
            return;
        }
        // A login answers with an API key, which must not be stored (the database holds only digests). Logging
        // in again is harmless: it gives the same key until the key is rotated.
        if (!StoresResponse(request.Method, request.Path))
        {
            await next(context);
            return;
        }

        // Sign-up has no account yet: its keys share one scope.
        var accountId = context.User.Identity?.IsAuthenticated == true ? context.AccountId() : Guid.Empty;
        var requestHash = await FingerprintAsync(request, ct);

        await using var keyLock = await KeyLock.TryAcquireAsync(dataSource, accountId, key, _options.LockTimeout, logger, ct);
        if (keyLock is null)
        {
            context.Response.Headers.RetryAfter = "1";
            await ErrorTable.WriteDetail(context.Response, StatusCodes.Status409Conflict, InProgress, ct);
            return;
        }

        var stored = await IdempotencyStore.FindAsync(keyLock.Connection, accountId, key, _options.Retention, ct);
        if (stored is { Expired: true })
        {
            await IdempotencyStore.DeleteAsync(keyLock.Connection, accountId, key, ct);
            stored = null;
        }
        if (stored is not null)
        {
            if (!stored.RequestHash.AsSpan().SequenceEqual(requestHash))
                await ErrorTable.WriteDetail(context.Response, StatusCodes.Status422UnprocessableEntity, Reused, ct);
            else if (stored.Status is not { } status)
                await ErrorTable.WriteDetail(context.Response, StatusCodes.Status409Conflict, ResponseLost, ct);
            else
                await ReplayAsync(context.Response, status, stored, ct);
            return;
        }

        var claim = new IdempotencyClaim(accountId, key, requestHash);
        using var buffer = new MemoryStream();
        await RunCapturingAsync(context, claim, buffer);
        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);

        var response = context.Response;
        if (IsFinal(response.StatusCode))
        {
            var headers = new Dictionary<string, string>();
            foreach (var name in StoredHeaders)
                if (response.Headers.TryGetValue(name, out var value) && value.Count > 0) headers[name] = value.ToString();
            try
            {
                // Not cancelled with the request: the work is done, and a client that went away will retry.
                await IdempotencyStore.SaveResponseAsync(keyLock.Connection, claim, response.StatusCode, headers, body,
                    CancellationToken.None);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // The client still gets its response. A retry then finds the record the write's transaction
                // left (409, response lost), or none if the request wrote nothing (it runs again).
                logger.LogWarning(e, "Could not store the response for an Idempotency-Key");
            }
        }

        // Kestrel refuses any write, even an empty one, to a 204 or 304.
        if (body.Length == 0) return;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, ct);
    }

    /// <summary>Runs the rest of the pipeline under the claim, with the response body written to a buffer.</summary>
    private async Task RunCapturingAsync(HttpContext context, IdempotencyClaim claim, MemoryStream buffer)
    {
        var original = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var capture = new StreamResponseBodyFeature(buffer, original);
        context.Features.Set<IHttpResponseBodyFeature>(capture);
        IdempotencyClaim.Current = claim;
        try
        {
            await next(context);
            await capture.CompleteAsync(); // flushes what was written through the pipe writer
        }
        finally
        {
            IdempotencyClaim.Current = null;
            context.Features.Set(original);
        }
    }

    private static async Task ReplayAsync(HttpResponse response, int status, StoredRequest stored, CancellationToken ct)
    {
        response.StatusCode = status;
        foreach (var (name, value) in stored.Headers) response.Headers[name] = value;
        response.Headers[ReplayedHeader] = "true";
        if (stored.Body.Length > 0)
        {
            response.ContentLength = stored.Body.Length;
            await response.Body.WriteAsync(stored.Body, ct);
        }
    }

    /// <summary>An unsafe request to the API with the header: the requests this middleware is run for.</summary>
    public static bool Engages(HttpRequest request) =>
        Applies(request.Method, request.Path) && request.Headers.ContainsKey(Header);

    /// <summary>Whether a request may carry the header (unsafe methods of the API); the OpenAPI document asks the same.</summary>
    public static bool Applies(string method, PathString path) =>
        path.StartsWithSegments("/api/v1")
        && (HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method));

    /// <summary>Whether a keyed request's response is kept for replay: all but a login, whose response is an API key.</summary>
    public static bool StoresResponse(string method, PathString path) =>
        !(HttpMethods.IsPost(method) && path.Equals("/api/v1/api-token-auth"));

    public static bool IsValidKey(string key) =>
        key.Length is > 0 and <= MaxKeyLength && key.All(c => c is >= ' ' and <= '~');

    /// <summary>
    /// Responses that a retry could change are not kept: server errors, conflicts, timeouts, rate
    /// limits, and a request the client abandoned.
    /// </summary>
    private static bool IsFinal(int status) => status < 500 && status is not (408 or 409 or 425 or 429 or 499);

    /// <summary>SHA-256 over method, path and query, Content-Type and the body's bytes; the body is rewound for the endpoint.</summary>
    private static async Task<byte[]> FingerprintAsync(HttpRequest request, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendText(hash, request.Method);
        AppendText(hash, request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent());
        AppendText(hash, request.ContentType ?? "");

        // Buffered (to disk beyond a small size), so the endpoint reads it again; Kestrel's body size
        // limit applies while it is read here.
        request.EnableBuffering();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0) hash.AppendData(chunk, 0, read);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        request.Body.Position = 0;
        return hash.GetHashAndReset();
    }

    /// <summary>Length-prefixed, so that no two different requests hash the same concatenation.</summary>
    private static void AppendText(IncrementalHash hash, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
