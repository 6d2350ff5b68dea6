using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Gpus;
using Sharedcloud.Es.Domain.Images;

namespace Sharedcloud.Es.Domain.Runs;

/// <summary>Every event of a run's stream.</summary>
public interface IRunEvent
{
    Guid RunId { get; }
}

/// <summary>
/// A run of a function, with the function's name, image and code as they were (queued jobs run that code, whatever
/// the function becomes), the parameters exactly as sent, and its place in the queue (<paramref name="Queue"/>: a
/// creation sequence, so that runs created in the same second still sort right).
/// </summary>
public sealed record RunCreated(
    Guid RunId, Guid AccountId, Guid FunctionId, string FunctionName, Guid ImageId, string Code, string Parameters,
    decimal BidPrice, Guid? BaseGpuId, int NumJobs, long Queue) : IRunEvent;

/// <summary>The run is gone, with its jobs (each recorded on its own stream).</summary>
public sealed record RunDeleted(Guid RunId) : IRunEvent;

/// <summary>A run as its events made it, kept inline. Runs are immutable: created, then maybe deleted.</summary>
public sealed record Run : IEvolving<Run>
{
    public const string Kind = "run";

    public Guid Id { get; init; }
    public Guid AccountId { get; init; }
    public Guid FunctionId { get; init; }
    public string FunctionName { get; init; } = "";
    public Guid ImageId { get; init; }
    public string RegistryPath { get; init; } = "";
    public string Runtime { get; init; } = "";
    public bool RequiresGpu { get; init; }
    public string Code { get; init; } = "";
    public string Parameters { get; init; } = "";
    public decimal BidPrice { get; init; }
    public Guid? BaseGpuId { get; init; }
    public string? BaseGpuName { get; init; }
    public int NumJobs { get; init; }
    public long Queue { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public long Version { get; init; }

    public static Run? Evolve(Run? state, object e, DateTimeOffset at)
    {
        if (e is not IRunEvent) return state;
        if (state is null)
        {
            if (e is not RunCreated c) return null;
            var image = ImageCatalog.Find(c.ImageId);
            return new Run
            {
                Id = c.RunId, AccountId = c.AccountId, FunctionId = c.FunctionId, FunctionName = c.FunctionName,
                ImageId = c.ImageId, RegistryPath = image?.RegistryPath ?? "", Runtime = image?.Runtime ?? "",
                RequiresGpu = image?.RequiresGpu ?? false, Code = c.Code, Parameters = c.Parameters, BidPrice = c.BidPrice,
                BaseGpuId = c.BaseGpuId, BaseGpuName = c.BaseGpuId is { } gpu ? GpuCatalog.Find(gpu)?.Name : null,
                NumJobs = c.NumJobs, Queue = c.Queue, CreatedAt = at, Version = 1,
            };
        }
        return e is RunDeleted ? null : state with { Version = state.Version + 1 };
    }

    public bool IsVisibleTo(Guid accountId) => AccountId == accountId;
}
