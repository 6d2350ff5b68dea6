using Sharedcloud.Es.Domain.Billing;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Gpus;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Domain.Jobs.Dispatching;

/// <summary>
/// Which queued jobs a machine's poll hands to its instance: the spec's matching rules, oldest first (run creation, then
/// position in the run), up to the instance's free capacity. The store finds the candidates with an index; this is the
/// decision, judged again on the candidates it found.
/// </summary>
public static class Dispatch
{
    /// <summary>The CUDA cores of the instance's GPU (0 for a CPU instance).</summary>
    public static int CudaCoresOf(Instance instance) => instance.GpuId is { } gpu ? GpuCatalog.Find(gpu)?.CudaCores ?? 0 : 0;

    /// <summary>Could <paramref name="instance"/> take <paramref name="job"/>?</summary>
    public static bool Matches(Instance instance, Job job) =>
        instance.Status == InstanceStatus.Available
        && job.IsQueued
        && instance.DownloadedImages.Contains(job.RegistryPath)
        && job.BidPrice >= Prices.ConsumerPrice(instance.AskPrice)
        && (!job.RequiresGpu || CudaCoresOf(instance) >= Math.Max(job.BaseGpuCudaCores, 1));

    /// <summary>
    /// The most jobs one poll answers (<b>decided here</b>; the spec sets no bound on <c>max_num_parallel_jobs</c>): the
    /// jobs it holds unstarted first, then new ones. However large the capacity and the queue, a poll is a bounded
    /// transaction and a bounded answer; a machine with room for more gets them on its next polls, as it starts these.
    /// </summary>
    public const int DefaultMaxJobsPerPoll = 100;

    /// <summary>How many more jobs the instance can hold, given the <paramref name="held"/> ones (assigned or IN_PROGRESS).</summary>
    public static int FreeCapacity(Instance instance, int held) => Math.Max(0, instance.MaxNumParallelJobs - held);

    /// <summary>How many new jobs a poll may hand the instance: its free capacity, within what the poll answers beside its unstarted jobs.</summary>
    public static int Room(Instance instance, Holding held, int maxPerPoll) =>
        Math.Max(0, Math.Min(FreeCapacity(instance, held.Count), maxPerPoll - held.Unstarted));

    /// <summary>
    /// The assignments of a poll: the matching candidates, oldest first, up to the instance's <see cref="Room"/> beside
    /// the jobs it <paramref name="held"/>.
    /// </summary>
    public static IReadOnlyList<JobAssigned> Assign(Instance instance, Holding held, IEnumerable<Job> candidates,
        int maxPerPoll = DefaultMaxJobsPerPoll) =>
        OldestFirst(candidates.Where(job => Matches(instance, job)))
            .Take(Room(instance, held, maxPerPoll))
            .Select(job => new JobAssigned(job.Id, instance.Id, instance.AccountId, instance.AskPrice))
            .ToList();

    /// <summary>What a poll answers: the jobs the instance holds unstarted, oldest first, then those just assigned, at most <paramref name="maxPerPoll"/>.</summary>
    public static IReadOnlyList<Job> Answer(Holding held, IEnumerable<Job> assigned, int maxPerPoll) =>
        OldestFirst(held.OldestUnstarted).Concat(assigned).Take(maxPerPoll).ToList();

    /// <summary>The queue's order: run creation, then the job's place in its run.</summary>
    internal static IOrderedEnumerable<Job> OldestFirst(IEnumerable<Job> jobs) =>
        jobs.OrderBy(job => job.Queue).ThenBy(job => job.IncrementalId);

    /// <summary>
    /// An instance lets go of its unfinished jobs (stopped, deleted, silent): each goes back to the queue, recorded with
    /// <paramref name="reason"/>, nobody billed.
    /// </summary>
    public static IEnumerable<Elsewhere> Release(IEnumerable<Job> held, Guid instanceId, string reason) =>
        held.Where(j => j.InstanceId == instanceId && j.IsHeld)
            .Select(j => new Elsewhere(j.Id, new JobReleased(j.Id, instanceId, reason)));
}

/// <summary>
/// What an instance holds, as its poll sees it: how many jobs are assigned to it and not started, how many run, and the
/// oldest unstarted ones, as many as a poll answers. The store counts them and reads those few, however many it holds.
/// </summary>
public sealed record Holding(int Unstarted, int Running, IReadOnlyList<Job> OldestUnstarted)
{
    public static readonly Holding Nothing = new(0, 0, []);

    /// <summary>Jobs held (assigned or IN_PROGRESS).</summary>
    public int Count => Unstarted + Running;

    /// <summary>The holding of these jobs (the instance's, assigned or IN_PROGRESS), its unstarted ones kept up to <paramref name="maxPerPoll"/>.</summary>
    public static Holding Of(IEnumerable<Job> held, int maxPerPoll = Dispatch.DefaultMaxJobsPerPoll)
    {
        var jobs = held.Where(j => j.IsHeld).ToList();
        var unstarted = jobs.Where(j => j.Status == JobStatus.Created).ToList();
        return new Holding(unstarted.Count, jobs.Count - unstarted.Count, Dispatch.OldestFirst(unstarted).Take(maxPerPoll).ToList());
    }
}

/// <summary>Why an instance let go of a job (<see cref="JobReleased.Reason"/>).</summary>
public static class JobRelease
{
    public const string Stopped = "instance_stopped", Deleted = "instance_deleted", Offline = "instance_offline",
        AccountDeleted = "account_deleted";
}
