using Mediator;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Jobs.Dispatching;
using Sharedcloud.Es.Domain.Instances.Operating;

namespace Sharedcloud.Es.Api.Instances.Operating;

public sealed class StartStopHandlers(StreamWrites writes) :
    ICommandHandler<StartInstance, Instance?>,
    ICommandHandler<StopInstance, Instance?>
{
    public async ValueTask<Instance?> Handle(StartInstance command, CancellationToken ct) =>
        await writes.DecideAsync<Instance>(command.InstanceId, state => StartInstance.Decide(command, state), ct);

    public async ValueTask<Instance?> Handle(StopInstance command, CancellationToken ct) =>
        await writes.DecideAsync<Instance>(command.InstanceId, async (state, session) =>
        {
            var events = StopInstance.Decide(command, state);
            if (events.Count > 0) await Jobs.JobLocks.ReleaseHeldAsync(session, command.InstanceId, JobRelease.Stopped, ct);
            return events;
        }, ct);
}

/// <summary>The provider (or its machine) puts the instance on the market, or takes it off.</summary>
public static class StartStopEndpoints
{
    public static void MapStartStop(this RouteGroupBuilder instance)
    {
        instance.MapPatch("start", (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
            InstanceResults.Of(mediator.Send(new StartInstance(id, http.AccountId(), Preconditions.IfMatch(http.Request)), ct), http))
            .Documented("startInstance", ApiTags.Machine, "Start: status AVAILABLE", d => d
                .Describe("On the market once the machine also polls `get-jobs`. Starting a started instance changes nothing.")
                .Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));

        instance.MapPatch("stop", (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
            InstanceResults.Of(mediator.Send(new StopInstance(id, http.AccountId(), Preconditions.IfMatch(http.Request)), ct), http))
            .Documented("stopInstance", ApiTags.Machine, "Stop: status NOT_AVAILABLE", d => d
                .Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));
    }
}
