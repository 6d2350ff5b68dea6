using Mediator;
using Sharedcloud.Es.Api.Accounts;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Registering;

namespace Sharedcloud.Es.Api.Instances.Registering;

public sealed class RegisterInstanceHandler(StreamWrites writes) : ICommandHandler<RegisterInstance, Instance>
{
    public async ValueTask<Instance> Handle(RegisterInstance command, CancellationToken ct)
    {
        try
        {
            // The account is held for the transaction, so a deletion of it either sees the new instance or comes first.
            return await writes.StartAsync<Instance>(command.InstanceId, [RegisterInstance.Decide(command)],
                session => AccountHold.Queue(session, command.AccountId), ct);
        }
        catch (Exception e) when (AccountHold.IsMissing(e))
        {
            throw new NotFoundException(); // the account was deleted meanwhile
        }
    }
}

public static class RegisterInstanceEndpoint
{
    public static void MapRegister(this RouteGroupBuilder instances) =>
        instances.MapPost("", async (HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            var fields = InstanceForms.Read(await RequestBody.ReadAsync(http.Request, ct));
            var created = await mediator.Send(new RegisterInstance(Guid.CreateVersion7(), http.AccountId(), fields), ct);
            return InstanceResults.Of(created, http, StatusCodes.Status201Created);
        }).Documented("createInstance", ApiTags.Instances, "Create an instance", d => d
            .Body<InstanceForm>().Returns<InstanceResponse>(StatusCodes.Status201Created, "The new instance (status 1, NOT_AVAILABLE).").ETag());
}
