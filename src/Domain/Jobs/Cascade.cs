using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Jobs;

/// <summary>The jobs that go with a deleted run, function or account.</summary>
public static class Cascade
{
    public const string JobsInProgress = "This has jobs in progress. Please wait until they are finished";

    /// <summary>Function and run deletions wait for their running jobs: refused, nothing deleted.</summary>
    public static void RefuseWhileRunning(IEnumerable<Job> jobs)
    {
        if (jobs.Any(j => j.Status == JobStatus.InProgress)) throw new RefusedException(JobsInProgress);
    }

    public static IEnumerable<Elsewhere> DeleteJobs(IEnumerable<Job> jobs) =>
        jobs.Select(j => new Elsewhere(j.Id, new JobDeleted(j.Id)));
}
