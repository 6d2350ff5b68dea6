using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Api.Instances;

/// <summary>
/// The one producer of an instance's response: <see cref="InstanceJson"/>, from the instance as the store keeps it
/// (read from the database for GET and the list, or serialised from the state a write or a past read produced), with
/// its version as the entity tag.
/// </summary>
public static class InstanceResults
{
    public static IResult Of(Instance state, HttpContext http, int status = StatusCodes.Status200OK) =>
        Stored(http.RequestServices.GetRequiredService<InstanceReads>().Stored(state), state.Version, http, status);

    public static IResult Stored(byte[] stored, long version, HttpContext http, int status = StatusCodes.Status200OK)
    {
        http.Response.SetETag(version);
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        return ApiResults.Written(writer => InstanceJson.Write(writer, stored, now), sizeHint: stored.Length, status);
    }

    /// <summary>The answer of a write: the state it produced (a command on an instance it cannot find is 404 before this).</summary>
    public static async Task<IResult> Of(ValueTask<Instance?> write, HttpContext http) =>
        await write is { } state ? Of(state, http) : throw new Domain.Common.NotFoundException();
}

/// <summary>The writes to one instance: 404 and 412 before the content's 400 and 415 (<see cref="PreconditionsFirst"/>).</summary>
public static class InstanceWriteRoutes
{
    public static RouteHandlerBuilder PreconditionsFirst(this RouteHandlerBuilder route) =>
        route.AddEndpointFilter(new PreconditionsFirst(Instance.Kind, (http, ct) =>
            http.RequestServices.GetRequiredService<InstanceReads>().VersionAsync(
                Auth.Caller.AccountId(http), Guid.Parse((string)http.Request.RouteValues["id"]!), ct)));
}
