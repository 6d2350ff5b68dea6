using FluentValidation;
using Mediator;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Instances.Registering;

/// <summary>POST /instances/: a provider registers a machine. New instances are NOT_AVAILABLE.</summary>
public sealed record RegisterInstance(Guid InstanceId, Guid AccountId, InstanceFields Fields)
    : ICommand<Instance>, IInstanceFieldsCommand
{
    public bool NameAndPriceRequired => true;

    public static InstanceRegistered Decide(RegisterInstance command)
    {
        var f = command.Fields;
        var (type, gpuId, jobs) = InstanceRules.Resolve(null, f.Type, f.Gpu, f.MaxNumParallelJobs);
        return new InstanceRegistered(command.InstanceId, command.AccountId, f.Name.Value, type, gpuId,
            f.AskPrice.Value, jobs);
    }
}

public sealed class RegisterInstanceValidator : InstanceFieldsValidator<RegisterInstance>;
