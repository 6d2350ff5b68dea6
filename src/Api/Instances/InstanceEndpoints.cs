using Sharedcloud.Es.Api.Instances.Changing;
using Sharedcloud.Es.Api.Instances.Deleting;
using Sharedcloud.Es.Api.Instances.Installing;
using Sharedcloud.Es.Api.Instances.Machine;
using Sharedcloud.Es.Api.Instances.Operating;
using Sharedcloud.Es.Api.Instances.Reading;
using Sharedcloud.Es.Api.Instances.Registering;

namespace Sharedcloud.Es.Api.Instances;

/// <summary>The routes of <c>/api/v1/instances/</c>, one use case a folder.</summary>
public static class InstanceEndpoints
{
    public static void MapInstances(this IEndpointRouteBuilder app)
    {
        var instances = app.MapGroup("/api/v1/instances");
        var instance = instances.MapGroup("{id:guid}");
        instances.MapReads();
        instances.MapRegister();
        instance.MapChanges();
        instance.MapDelete();
        instance.MapStartStop();
        instance.MapPoll();
        instance.MapImageInstalls();
    }
}
