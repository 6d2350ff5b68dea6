using FluentValidation;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Instances;

/// <summary>The fields a client may send to create or change an instance, as sent.</summary>
public sealed record InstanceFields(
    Field<string> Name,
    Field<decimal> AskPrice,
    Field<InstanceType> Type,
    Field<string> Gpu,
    Field<int> MaxNumParallelJobs);

/// <summary>A command that carries an instance's fields: create (name and price required), PUT (the same), PATCH.</summary>
public interface IInstanceFieldsCommand
{
    InstanceFields Fields { get; }
    bool NameAndPriceRequired { get; }
}

/// <summary>
/// The shape of the instance fields (DRF's CharField, DecimalField(max_digits=10, decimal_places=3), ChoiceField,
/// PrimaryKeyRelatedField and IntegerField, with production's messages), checked before anything is read. The rules
/// that tie fields to each other and to the stored instance are the decision's (<see cref="InstanceRules"/>).
/// </summary>
public abstract class InstanceFieldsValidator<T> : AbstractValidator<T> where T : IInstanceFieldsCommand
{
    public const int NameMaxLength = 255;

    protected InstanceFieldsValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;

        RuleFor(x => x.Fields.Name).Sent(x => x.NameAndPriceRequired).MaxLength(NameMaxLength).OverridePropertyName("name");

        RuleFor(x => x.Fields.AskPrice).Sent(x => x.NameAndPriceRequired)
            .Money(InstanceRules.MinAskPrice, InstanceRules.AskPriceTooSmall)
            .OverridePropertyName("ask_price");

        RuleFor(x => x.Fields.Type).Sent(required: false).OverridePropertyName("type");

        // A null or blank gpu is how a client says "no GPU".
        RuleFor(x => x.Fields.Gpu).Sent(required: false, nullable: true, blankable: true)
            .Value(g => g.Length == 0 || InstanceRules.IsKnownGpu(g), Messages.DoesNotExist)
            .OverridePropertyName("gpu");

        RuleFor(x => x.Fields.MaxNumParallelJobs).Sent(required: false)
            .Value(n => n >= 1, Messages.MinValue(1))
            .OverridePropertyName("max_num_parallel_jobs");
    }
}
