using Mediator;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Jobs;
using Sharedcloud.Es.Domain.Runs;

namespace Sharedcloud.Es.Domain.Functions.Deleting;

/// <summary>DELETE /functions/&lt;uuid&gt;/: the function, its runs and their jobs, unless a job is IN_PROGRESS.</summary>
public sealed record DeleteFunction(Guid FunctionId, Guid AccountId, ExpectedVersion? Expected = null) : ICommand
{
    public static (FunctionDeleted Function, IReadOnlyList<Elsewhere> Cascade) Decide(
        DeleteFunction command, Function? state, IReadOnlyList<Guid> runIds, IReadOnlyList<Job> jobs)
    {
        var function = Function.Owned(state, command.AccountId, command.Expected);
        Jobs.Cascade.RefuseWhileRunning(jobs);
        var cascade = runIds.Select(id => new Elsewhere(id, new RunDeleted(id))).Concat(Jobs.Cascade.DeleteJobs(jobs)).ToList();
        return (new FunctionDeleted(function.Id), cascade);
    }
}
