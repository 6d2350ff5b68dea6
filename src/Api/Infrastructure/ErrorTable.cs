using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// The one place where failures become responses: each exception type maps to one status and one
/// DRF-shaped body. Nothing of an exception's internals reaches a client.
/// </summary>
public sealed class ErrorTable(ILogger<ErrorTable> logger, DatabasePools pools) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var response = context.Response;
        switch (exception)
        {
            case FieldErrorsException e:
                await WriteFieldErrors(response, e.Errors, ct);
                break;
            case NotFoundException:
                await WriteDetail(response, StatusCodes.Status404NotFound, "Not found.", ct);
                break;
            case PreconditionFailedException e:
                await WriteDetail(response, StatusCodes.Status412PreconditionFailed, e.Message, ct);
                break;
            case BadRequestException e:
                await WriteDetail(response, StatusCodes.Status400BadRequest, e.Message, ct);
                break;
            case Jobs.TextTooLargeException e:
                await WriteDetail(response, StatusCodes.Status413PayloadTooLarge, e.Message, ct);
                break;
            case RefusedException e:
                await WriteDetail(response, StatusCodes.Status400BadRequest, e.Message, ct);
                break;
            case UnsupportedMediaTypeException e:
                await WriteDetail(response, StatusCodes.Status415UnsupportedMediaType, e.Message, ct);
                break;
            case ConflictException e:
                await WriteDetail(response, StatusCodes.Status409Conflict, e.Message, ct);
                break;
            case BadHttpRequestException e:
                await WriteDetail(response, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "Request body is too large." : "Malformed request.", ct);
                break;
            case var e when DatabaseFaults.IsConflict(e):
                await WriteDetail(response, StatusCodes.Status409Conflict, StreamWrites.ConflictDetail, ct);
                break;
            case var e when DatabaseFaults.IsUnavailable(e) && !ct.IsCancellationRequested:
                logger.LogWarning(exception, "The database is unavailable ({Method} {Path})", context.Request.Method, context.Request.Path);
                pools.ClearAfter(exception);
                response.Headers.RetryAfter = DatabaseFaults.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await WriteDetail(response, StatusCodes.Status503ServiceUnavailable, DatabaseFaults.UnavailableDetail, ct);
                break;
            default:
                logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
                await WriteDetail(response, StatusCodes.Status500InternalServerError, "A server error occurred.", ct);
                break;
        }
        return true;
    }

    public static Task WriteDetail(HttpResponse response, int status, string detail, CancellationToken ct)
    {
        response.StatusCode = status;
        return response.WriteAsJsonAsync(new ErrorResponse(detail), ApiJson.Api.ErrorResponse, cancellationToken: ct);
    }

    private static Task WriteFieldErrors(HttpResponse response, FieldErrors errors, CancellationToken ct)
    {
        response.StatusCode = StatusCodes.Status400BadRequest;
        var body = errors.Items.ToDictionary(kv => kv.Key, kv => kv.Value);
        return response.WriteAsJsonAsync(body, ApiJson.Api.DictionaryStringListString, cancellationToken: ct);
    }

    /// <summary>Bodies for the statuses routing produces on its own (unknown URL, wrong method).</summary>
    public static Task WriteStatusBody(HttpContext context)
    {
        var response = context.Response;
        return response.StatusCode switch
        {
            StatusCodes.Status404NotFound => WriteDetail(response, 404, "Not found.", context.RequestAborted),
            StatusCodes.Status405MethodNotAllowed => WriteDetail(response, 405,
                $"Method \"{context.Request.Method}\" not allowed.", context.RequestAborted),
            _ => Task.CompletedTask,
        };
    }
}
