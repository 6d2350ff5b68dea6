using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Gpus;

namespace Sharedcloud.Es.Domain.Instances;

/// <summary>
/// The rules that tie an instance's fields together, checked against the state a request would
/// produce (production's messages, which clients show to people).
/// </summary>
public static class InstanceRules
{
    public const string GpuRequired = "This field needs to be provided if the instance is type GPU";
    public const string GpuUnnecessary = "This field is unnecessary because the instance is not, or not gonna be type GPU anymore";
    public const string GpuSingleJob = "This value is invalid. All GPU instances can only process one job at a time";
    public const string AskPriceTooSmall = "This field cannot be smaller than $0.001";
    public const decimal MinAskPrice = 0.001m;

    public static string StoredParallelismInvalidForGpu(int n) =>
        $"current set value ({n}) is invalid for a GPU instance. Please set it to 1";

    /// <summary>
    /// Checks the cross-field rules of a command whose fields passed their shape check.
    /// <paramref name="current"/> is null for a new instance.
    /// </summary>
    public static (InstanceType Type, Guid? GpuId, int MaxNumParallelJobs) Resolve(
        Instance? current, Field<InstanceType> type, Field<string> gpu, Field<int> maxNumParallelJobs)
    {
        var errors = new FieldErrors();
        var newType = type.Or(current?.Type ?? InstanceType.Cpu);
        var gpuSent = gpu.IsPresent && !string.IsNullOrEmpty(gpu.Value);

        // The shape check (InstanceFieldsValidator) let only a GPU of the catalog through.
        Guid? gpuId = gpuSent ? Guid.Parse(gpu.Value) : null;

        if (newType == InstanceType.Gpu)
        {
            // An explicit null/blank gpu removes it; an omitted one keeps the current GPU.
            var keepsCurrent = gpu.IsMissing && current?.Type == InstanceType.Gpu;
            if (keepsCurrent) gpuId = current!.GpuId;
            if (!gpuSent && !keepsCurrent) errors.Add("gpu", GpuRequired);

            if (maxNumParallelJobs.IsPresent && maxNumParallelJobs.Value != 1)
                errors.Add("max_num_parallel_jobs", GpuSingleJob);
            else if (maxNumParallelJobs.IsMissing && current is { MaxNumParallelJobs: > 1 })
                errors.Add("max_num_parallel_jobs", StoredParallelismInvalidForGpu(current.MaxNumParallelJobs));
        }
        else if (gpuSent)
        {
            errors.Add("gpu", GpuUnnecessary);
        }

        errors.ThrowIfAny();
        return (newType, newType == InstanceType.Gpu ? gpuId : null, maxNumParallelJobs.Or(current?.MaxNumParallelJobs ?? 1));
    }

    /// <summary>Does <paramref name="gpu"/> name a GPU of the catalog?</summary>
    public static bool IsKnownGpu(string gpu) => Guid.TryParse(gpu, out var id) && GpuCatalog.Find(id) is not null;
}
