using System.Text.Json.Serialization.Metadata;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>Responses written with the source-generated <see cref="ApiJson"/> metadata.</summary>
public static class ApiResults
{
    public static IResult Ok<T>(T body, JsonTypeInfo<T> type) => Results.Json(body, type);

    public static IResult Created<T>(T body, JsonTypeInfo<T> type) => Results.Json(body, type, statusCode: StatusCodes.Status201Created);

    public static IResult NoContent() => Results.NoContent();
}
