using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Jobs;

/// <summary>A job's status, as the API gives it (JSON integers).</summary>
public enum JobStatus { Created = 1, InProgress = 2, Succeeded = 3, Failed = 4, Timeout = 5 }

/// <summary>Every event of a job's stream.</summary>
public interface IJobEvent
{
    Guid JobId { get; }
}

/// <summary>
/// One tuple of a run, queued. It carries what matching needs (the image, the bid, the weakest acceptable GPU's CUDA
/// cores, the queue position), so the queue is one table of job documents.
/// </summary>
public sealed record JobCreated(
    Guid JobId, Guid RunId, Guid FunctionId, Guid AccountId, string FunctionName, int IncrementalId, string Arguments,
    string RegistryPath, bool RequiresGpu, decimal BidPrice, int BaseGpuCudaCores, long Queue) : IJobEvent;

/// <summary>
/// Handed to an instance on its machine's poll. <paramref name="AskPrice"/> is the instance's ask at that moment: what
/// the job is billed at.
/// </summary>
public sealed record JobAssigned(Guid JobId, Guid InstanceId, Guid ProviderId, decimal AskPrice) : IJobEvent;

/// <summary>The machine reported that it started the job (IN_PROGRESS).</summary>
public sealed record JobStarted(Guid JobId, Guid InstanceId) : IJobEvent;

/// <summary>
/// The machine reported the outcome: SUCCEEDED, FAILED or TIMEOUT, at <paramref name="FinishedAt"/>, after
/// <paramref name="Duration"/> whole seconds, with what it printed and the charge it is billed (nothing for FAILED).
/// </summary>
public sealed record JobFinished(
    Guid JobId, Guid InstanceId, JobStatus Status, DateTimeOffset FinishedAt, long Duration, string BuildLogs,
    string Stdout, string Stderr, string Result, decimal Cost, decimal Earnings, decimal Fee) : IJobEvent;

/// <summary>
/// The instance let go of the job before it finished (stopped, deleted, silent, or its owner's account deleted): back
/// in the queue, nobody billed. <paramref name="Reason"/> names why.
/// </summary>
public sealed record JobReleased(Guid JobId, Guid InstanceId, string Reason) : IJobEvent;

/// <summary>The job is gone with its run, function or account; its stream stays for the audit trail.</summary>
public sealed record JobDeleted(Guid JobId) : IJobEvent;

/// <summary>
/// A job as its events made it, kept inline: the queue (dispatch reads the CREATED, unassigned ones), the consumer's
/// list, and what reports decide on. Deleted jobs have none. Times come from the events.
/// </summary>
public sealed record Job : IEvolving<Job>, IHasParty
{
    public const string Kind = "job";

    Guid IHasParty.PartyId => AccountId;

    public Guid Id { get; init; }
    public Guid RunId { get; init; }
    public Guid FunctionId { get; init; }
    /// <summary>The consumer: the run's owner.</summary>
    public Guid AccountId { get; init; }
    public string FunctionName { get; init; } = "";
    public int IncrementalId { get; init; }
    public string Arguments { get; init; } = "";
    public string RegistryPath { get; init; } = "";
    public bool RequiresGpu { get; init; }
    public decimal BidPrice { get; init; }
    public int BaseGpuCudaCores { get; init; }
    public long Queue { get; init; }
    public JobStatus Status { get; init; } = JobStatus.Created;
    /// <summary>The instance that holds (or held, once finished) the job.</summary>
    public Guid? InstanceId { get; init; }
    /// <summary>The instance's owner, the one account whose reports are accepted.</summary>
    public Guid? ProviderId { get; init; }
    public decimal? AskPrice { get; init; }
    public DateTimeOffset? AssignedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public long? Duration { get; init; }
    public decimal Cost { get; init; }
    public string BuildLogs { get; init; } = "";
    public string Stdout { get; init; } = "";
    public string Stderr { get; init; } = "";
    public string Result { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public long Version { get; init; }

    /// <summary>Waiting in the queue: CREATED and held by no instance.</summary>
    public bool IsQueued => Status == JobStatus.Created && InstanceId is null;

    /// <summary>Held by an instance and not finished: assigned (CREATED) or IN_PROGRESS.</summary>
    public bool IsHeld => InstanceId is not null && Status is JobStatus.Created or JobStatus.InProgress;

    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Timeout;

    /// <summary>Whether <paramref name="accountId"/> may report on the job: it owns the instance the job is (or was) assigned to.</summary>
    public bool IsReportableBy(Guid accountId) => InstanceId is not null && ProviderId == accountId;

    public static Job? Evolve(Job? state, object e, DateTimeOffset at)
    {
        if (e is not IJobEvent) return state;
        if (state is null)
            return e is JobCreated c
                ? new Job
                {
                    Id = c.JobId, RunId = c.RunId, FunctionId = c.FunctionId, AccountId = c.AccountId, FunctionName = c.FunctionName,
                    IncrementalId = c.IncrementalId, Arguments = c.Arguments, RegistryPath = c.RegistryPath,
                    RequiresGpu = c.RequiresGpu, BidPrice = c.BidPrice, BaseGpuCudaCores = c.BaseGpuCudaCores, Queue = c.Queue,
                    CreatedAt = at, Version = 1,
                }
                : null;
        Job? next = e switch
        {
            JobAssigned x => state with { InstanceId = x.InstanceId, ProviderId = x.ProviderId, AskPrice = x.AskPrice, AssignedAt = at },
            JobStarted => state with { Status = JobStatus.InProgress, StartedAt = at },
            JobFinished x => state with
            {
                Status = x.Status, FinishedAt = x.FinishedAt, Duration = x.Duration, Cost = x.Cost, BuildLogs = x.BuildLogs,
                Stdout = x.Stdout, Stderr = x.Stderr, Result = x.Result,
            },
            JobReleased => state with
            {
                Status = JobStatus.Created, InstanceId = null, ProviderId = null, AskPrice = null, AssignedAt = null, StartedAt = null,
            },
            JobDeleted => null,
            _ => state,
        };
        return next is null ? null : next with { Version = state.Version + 1 };
    }
}
