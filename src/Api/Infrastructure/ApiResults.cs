using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>Responses written with the source-generated <see cref="ApiJson"/> metadata.</summary>
public static class ApiResults
{
    public static IResult Ok<T>(T body, JsonTypeInfo<T> type) => Results.Json(body, type);

    public static IResult Created<T>(T body, JsonTypeInfo<T> type) => Results.Json(body, type, statusCode: StatusCodes.Status201Created);

    public static IResult NoContent() => Results.NoContent();

    /// <summary>A JSON body that <paramref name="write"/> writes itself (as <see cref="ApiJson.Api"/> would: same encoder).</summary>
    /// <param name="sizeHint">About how many bytes it will take: the buffer it is written to starts that large.</param>
    public static IResult Written(Action<Utf8JsonWriter> write, int sizeHint = 1024, int status = StatusCodes.Status200OK) =>
        new WrittenJson(write, sizeHint, status);

    /// <summary>
    /// Written whole before anything is sent: the response carries a Content-Length instead of being chunked, and
    /// leaves in one write.
    /// </summary>
    private sealed class WrittenJson(Action<Utf8JsonWriter> write, int sizeHint, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            var body = new ArrayBufferWriter<byte>(Math.Max(sizeHint, 256));
            using (var writer = new Utf8JsonWriter(body, ApiJson.WriterOptions)) write(writer);
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/json; charset=utf-8";
            http.Response.ContentLength = body.WrittenCount;
            return http.Response.Body.WriteAsync(body.WrittenMemory).AsTask();
        }
    }
}
