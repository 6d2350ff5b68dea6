using FluentValidation;
using Mediator;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Functions;
using Sharedcloud.Es.Domain.Gpus;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Jobs;
using Sharedcloud.Es.Domain.Runs.Parameters;

namespace Sharedcloud.Es.Domain.Runs.Creating;

/// <summary>The fields of POST /runs/, as sent.</summary>
public sealed record RunFields(Field<string> Function, Field<string> Parameters, Field<decimal> BidPrice, Field<string> BaseGpu);

/// <summary>What a run's decision needs beside the function: the consumer's money and the market's GPUs.</summary>
/// <param name="Balance">The consumer's balance.</param>
/// <param name="Exempt">Whether the account may start runs at a zero balance (Billing:ExemptEmailPrefixes).</param>
/// <param name="BaseGpuAvailable">Whether an AVAILABLE instance has the base GPU or a stronger one.</param>
public sealed record RunMarket(decimal Balance, bool Exempt, bool BaseGpuAvailable);

/// <summary>
/// POST /runs/: one job per tuple of <c>parameters</c>, created with the run in one transaction. The decision gets the
/// run's queue position (<paramref name="Queue"/>) and the new jobs' ids from the caller.
/// </summary>
public sealed record CreateRun(Guid RunId, Guid AccountId, RunFields Fields) : ICommand<Run>
{
    public const int MaxJobs = 10_000;
    public const decimal MinBidPrice = 0.001m;
    public const string BidPriceTooSmall = "This field cannot be smaller than $0.001";
    public const string BaseGpuRequired = "this run uses an image that requires GPU. Therefore this field is mandatory";
    public const string BaseGpuUnnecessary = "This field is unnecessary because the function is not using an image that requires GPU";
    public const string BaseGpuUnavailable = "this GPU model is currently not available";
    public const string BalanceTooLow = "you need a balance higher than 0 to create new runs";

    /// <summary>The GPU the run names, if any (the shape check let only catalog GPUs through).</summary>
    public Gpu? BaseGpu => Fields.BaseGpu is { IsPresent: true, Value.Length: > 0 } gpu ? GpuCatalog.Find(Guid.Parse(gpu.Value)) : null;

    /// <summary>The errors of a run whose function is unknown to the caller, besides <paramref name="others"/>: the function's first.</summary>
    public static FieldErrors WithUnknownFunction(RunFields fields, FieldErrors others)
    {
        var errors = FieldErrors.For("function", Messages.DoesNotExist(fields.Function.Value));
        foreach (var (field, messages) in others.Items)
            foreach (var message in messages) errors.Add(field, message);
        return errors;
    }

    public static (RunCreated Run, IReadOnlyList<JobCreated> Jobs) Decide(
        CreateRun command, Function? function, RunMarket market, long queue, Func<Guid> newJobId)
    {
        var f = command.Fields;
        if (function is null || !function.IsVisibleTo(command.AccountId))
            throw new FieldErrorsException(WithUnknownFunction(f, new FieldErrors()));

        var gpu = command.BaseGpu;
        var errors = new FieldErrors();
        if (function.RequiresGpu && gpu is null) errors.Add("base_gpu", BaseGpuRequired);
        else if (!function.RequiresGpu && gpu is not null) errors.Add("base_gpu", BaseGpuUnnecessary);
        else if (gpu is not null && !market.BaseGpuAvailable) errors.Add("base_gpu", BaseGpuUnavailable);
        errors.ThrowIfAny();
        if (market.Balance <= 0 && !market.Exempt)
            throw new FieldErrorsException(FieldErrors.For(FieldErrors.NonField, BalanceTooLow));

        PythonLiteral.TryParseTupleOfTuples(f.Parameters.Value, MaxJobs, out var tuples); // the shape check parsed it
        var run = new RunCreated(command.RunId, command.AccountId, function.Id, function.Name, function.ImageId, function.Code,
            f.Parameters.Value, f.BidPrice.Value, gpu?.Uuid, tuples.Count, queue);
        var jobs = tuples.Select((tuple, i) => new JobCreated(newJobId(), command.RunId, function.Id, command.AccountId,
            function.Name, i, PythonLiteral.Repr(tuple), function.RegistryPath, function.RequiresGpu, run.BidPrice,
            gpu?.CudaCores ?? 0, queue)).ToList();
        return (run, jobs);
    }
}

/// <summary>The shape of a run: every field readable and in range before the function is read.</summary>
public sealed class CreateRunValidator : AbstractValidator<CreateRun>
{
    public CreateRunValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.Fields.Function).Sent(required: true).OverridePropertyName("function");
        RuleFor(x => x.Fields.Parameters).Sent(required: true)
            .Value(p => PythonLiteral.TryParseTupleOfTuples(p, CreateRun.MaxJobs, out _), PythonLiteral.TupleOfTuplesExpected)
            .OverridePropertyName("parameters");
        RuleFor(x => x.Fields.BidPrice).Sent(required: true)
            .Money(CreateRun.MinBidPrice, CreateRun.BidPriceTooSmall)
            .OverridePropertyName("bid_price");
        RuleFor(x => x.Fields.BaseGpu).Sent(required: false, nullable: true, blankable: true)
            .Value(g => g.Length == 0 || InstanceRules.IsKnownGpu(g), Messages.DoesNotExist)
            .OverridePropertyName("base_gpu");
    }
}
