using Mediator;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Jobs;

namespace Sharedcloud.Es.Domain.Runs.Deleting;

/// <summary>DELETE /runs/&lt;uuid&gt;/: the run and its jobs, unless one of them is IN_PROGRESS.</summary>
public sealed record DeleteRun(Guid RunId, Guid AccountId) : ICommand
{
    public static (RunDeleted Run, IReadOnlyList<Elsewhere> Jobs) Decide(DeleteRun command, Run? state, IReadOnlyList<Job> jobs)
    {
        if (state is null || !state.IsVisibleTo(command.AccountId)) throw new NotFoundException();
        Cascade.RefuseWhileRunning(jobs);
        return (new RunDeleted(state.Id), Cascade.DeleteJobs(jobs).ToList());
    }
}
