using FluentValidation;
using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Instances.Changing;

/// <summary>
/// PUT (<paramref name="Replace"/>: name and ask_price required) or PATCH of an instance. Fields
/// left out keep their values; each field that really changes becomes its own event.
/// <paramref name="Expected"/> is the client's If-Match: the change applies only to that version.
/// </summary>
public sealed record ChangeInstance(Guid InstanceId, Guid AccountId, bool Replace, InstanceFields Fields,
    ExpectedVersion? Expected = null)
    : ICommand<Instance?>, IInstanceFieldsCommand
{
    public bool NameAndPriceRequired => Replace;

    public static IReadOnlyList<object> Decide(ChangeInstance command, Instance? current)
    {
        var state = Instance.Owned(current, command.AccountId, command.Expected);
        var f = command.Fields;
        var (type, gpuId, jobs) = InstanceRules.Resolve(state, f.Type, f.Gpu, f.MaxNumParallelJobs);
        var id = state.Id;
        var events = new List<object>();

        if (f.Name.Or(state.Name) is var name && name != state.Name)
            events.Add(new InstanceRenamed(id, name));
        if (f.AskPrice.Or(state.AskPrice) is var price && price != state.AskPrice)
            events.Add(new InstancePriceChanged(id, price));
        if (type != state.Type)
            events.Add(new InstanceTypeChanged(id, type, gpuId));
        else if (gpuId != state.GpuId && gpuId is { } newGpu)
            events.Add(new InstanceGpuChanged(id, newGpu));
        if (jobs != state.MaxNumParallelJobs)
            events.Add(new InstanceParallelismChanged(id, jobs));
        return events;
    }
}

public sealed class ChangeInstanceValidator : InstanceFieldsValidator<ChangeInstance>;
