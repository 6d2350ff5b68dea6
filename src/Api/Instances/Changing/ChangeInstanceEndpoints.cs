using Mediator;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Changing;

namespace Sharedcloud.Es.Api.Instances.Changing;

public sealed class ChangeInstanceHandler(StreamWrites writes) : ICommandHandler<ChangeInstance, Instance?>
{
    public async ValueTask<Instance?> Handle(ChangeInstance command, CancellationToken ct) =>
        await writes.DecideAsync<Instance>(command.InstanceId, state => ChangeInstance.Decide(command, state), ct);
}

public static class ChangeInstanceEndpoints
{
    public static void MapChanges(this RouteGroupBuilder instance)
    {
        instance.MapPut("", (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
                Change(id, replace: true, http, mediator, ct))
            .PreconditionsFirst()
            .Documented("replaceInstance", ApiTags.Instances, "Update an instance", d => d
                .Describe("`name` and `ask_price` are required; omitted fields keep their values.")
                .Body<InstanceForm>().Returns<InstanceResponse>().ETag().IfMatch().Errors(StatusCodes.Status404NotFound));

        instance.MapPatch("", (Guid id, HttpContext http, IMediator mediator, CancellationToken ct) =>
                Change(id, replace: false, http, mediator, ct))
            .PreconditionsFirst()
            .Documented("changeInstance", ApiTags.Instances, "Change some of an instance's fields", d => d
                .Body<InstanceChangesForm>(required: false).Returns<InstanceResponse>().ETag().IfMatch()
                .Errors(StatusCodes.Status404NotFound));
    }

    private static async Task<IResult> Change(Guid id, bool replace, HttpContext http, IMediator mediator, CancellationToken ct)
    {
        var fields = InstanceForms.Read(await RequestBody.ReadAsync(http.Request, ct));
        return await InstanceResults.Of(
            mediator.Send(new ChangeInstance(id, http.AccountId(), replace, fields, Preconditions.IfMatch(http.Request)), ct), http);
    }
}
