using Mediator;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Jobs.Dispatching;
using Sharedcloud.Es.Domain.Instances.Deleting;

namespace Sharedcloud.Es.Api.Instances.Deleting;

public sealed class DeleteInstanceHandler(StreamWrites writes) : ICommandHandler<DeleteInstance>
{
    public async ValueTask<Unit> Handle(DeleteInstance command, CancellationToken ct)
    {
        await writes.DecideAsync<Instance>(command.InstanceId, async (state, session) =>
        {
            var events = DeleteInstance.Decide(command, state);
            await Jobs.JobLocks.ReleaseHeldAsync(session, command.InstanceId, JobRelease.Deleted, ct);
            return events;
        }, ct);
        return Unit.Value;
    }
}

public static class DeleteInstanceEndpoint
{
    public static void MapDelete(this RouteGroupBuilder instance) =>
        instance.MapDelete("", async (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            await mediator.Send(new DeleteInstance(id, http.AccountId(), Preconditions.IfMatch(http.Request)), ct);
            return Results.NoContent();
        }).Documented("deleteInstance", ApiTags.Instances, "Delete an instance", d => d
            .NoContent("Deleted. Its history stays readable by its owner.").IfMatch().Errors(StatusCodes.Status404NotFound));
}
