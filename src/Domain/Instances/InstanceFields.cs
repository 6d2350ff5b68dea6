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

/// <summary>
/// Shape checks shared by create, PUT and PATCH (DRF's CharField, DecimalField(max_digits=10,
/// decimal_places=3), ChoiceField and IntegerField, with production's messages).
/// </summary>
public static class InstanceFieldChecks
{
    public const int NameMaxLength = 255;
    public const int AskPriceMaxDigits = 10;
    public const int AskPriceDecimalPlaces = 3;
    public const int MaxParallelJobsLimit = int.MaxValue;

    public static void Check<T>(this ValidationContext<T> ctx, InstanceFields f, bool nameAndPriceRequired)
    {
        ctx.Text("name", f.Name, nameAndPriceRequired, NameMaxLength);

        if (ctx.Usable("ask_price", f.AskPrice, nameAndPriceRequired) is var price && f.AskPrice.IsPresent)
        {
            // The minimum first: production answers 0.0001 with "cannot be smaller than $0.001"
            // (the official client's tests expect it), not with the decimal places message.
            if (price < InstanceRules.MinAskPrice)
                ctx.AddFailure("ask_price", InstanceRules.AskPriceTooSmall);
            else if (DecimalPlaces(price) > AskPriceDecimalPlaces)
                ctx.AddFailure("ask_price", Messages.MaxDecimalPlaces(AskPriceDecimalPlaces));
            else if (WholeDigits(price) > AskPriceMaxDigits - AskPriceDecimalPlaces)
                ctx.AddFailure("ask_price",
                    $"Ensure that there are no more than {AskPriceMaxDigits - AskPriceDecimalPlaces} digits before the decimal point.");
        }

        ctx.Usable("type", f.Type, required: false);

        // gpu may be null: that is how a client says "no GPU". An unknown one is a field error
        // (DRF's PrimaryKeyRelatedField), reported together with the other failing fields.
        if (f.Gpu.State == FieldState.Invalid) ctx.AddFailure("gpu", f.Gpu.Error!);
        else if (f.Gpu.IsPresent && !string.IsNullOrEmpty(f.Gpu.Value) && !InstanceRules.IsKnownGpu(f.Gpu.Value))
            ctx.AddFailure("gpu", Messages.DoesNotExist(f.Gpu.Value));

        if (ctx.Usable("max_num_parallel_jobs", f.MaxNumParallelJobs, required: false) is var jobs
            && f.MaxNumParallelJobs.IsPresent && jobs < 1)
            ctx.AddFailure("max_num_parallel_jobs", Messages.MinValue(1));
    }

    private static int DecimalPlaces(decimal d) => (decimal.GetBits(d)[3] >> 16) & 0xFF;

    private static int WholeDigits(decimal d)
    {
        var whole = decimal.Truncate(Math.Abs(d));
        return whole == 0 ? 0 : whole.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
    }
}
