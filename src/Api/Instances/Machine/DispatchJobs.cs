using Marten;
using Mediator;
using Microsoft.Extensions.Options;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Api.Jobs;
using Sharedcloud.Es.Domain.Billing;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Jobs;
using Sharedcloud.Es.Domain.Jobs.Code;
using Sharedcloud.Es.Domain.Jobs.Dispatching;
using Sharedcloud.Es.Domain.Runs;
using Sharedcloud.Es.Domain.Runs.Parameters;
using Sharedcloud.Es.Projections;
using Sharedcloud.Es.Projections.Marketplace;

namespace Sharedcloud.Es.Api.Instances.Machine;

/// <summary>One job as the machine gets it: the image to run it in, whether that needs a GPU, and the program.</summary>
public sealed record MachineJob(Guid JobUuid, string ImageRegistryPath, bool RequiresGpu, string WrappedCode);

/// <summary>Settings of the poll's dispatch (section <c>Dispatch</c>).</summary>
public sealed class DispatchOptions
{
    public const string Section = "Dispatch";

    /// <summary>The most jobs one poll answers, its unstarted ones first (<see cref="Dispatch.DefaultMaxJobsPerPoll"/>).</summary>
    public int MaxJobsPerPoll { get; set; } = Dispatch.DefaultMaxJobsPerPoll;
}

/// <summary>The poll's dispatch: hand the instance the jobs it matches, up to its free capacity, and those it holds unstarted.</summary>
public sealed record DispatchJobs(Guid InstanceId, Guid AccountId) : ICommand<IReadOnlyList<MachineJob>>;

/// <summary>
/// Holding the instance's lock (so two polls of one machine never exceed its capacity), takes the oldest matching
/// queued jobs with SKIP LOCKED on their streams and documents (so two machines never take the same job, and neither
/// waits for the other), appends job_assigned to each, and moves the instance's counters, in one transaction.
/// </summary>
public sealed class DispatchJobsHandler(StreamWrites writes, IOptions<DispatchOptions> options)
    : ICommandHandler<DispatchJobs, IReadOnlyList<MachineJob>>
{
    private const string Schema = MartenConfiguration.Schema;

    public async ValueTask<IReadOnlyList<MachineJob>> Handle(DispatchJobs command, CancellationToken ct) =>
        await writes.InTransactionAsync(async session =>
        {
            var stream = await session.Events.FetchForExclusiveWriting<Instance>(command.InstanceId, ct);
            var instance = Instance.Owned(stream.Aggregate, command.AccountId, expected: null);
            var maxPerPoll = options.Value.MaxJobsPerPoll;
            var held = await HoldingAsync(session, instance.Id, maxPerPoll, ct);
            var room = Dispatch.Room(instance, held, maxPerPoll);
            var assigned = new List<Job>();
            if (room > 0 && instance.Status == InstanceStatus.Available && instance.DownloadedImages.Count > 0)
            {
                var candidates = await session.QueryAsync<Job>(CandidatesSql, ct, instance.DownloadedImages.ToArray(),
                    Prices.ConsumerPrice(instance.AskPrice), Dispatch.CudaCoresOf(instance), room);
                foreach (var assignment in Dispatch.Assign(instance, held, candidates, maxPerPoll))
                {
                    var job = session.Events.Append(assignment.JobId, assignment);
                    var queued = candidates.First(c => c.Id == assignment.JobId);
                    Parties.Involve(job.Events, queued.AccountId);
                    assigned.Add(queued);
                }
                JobLocks.MoveCounters(session, instance.Id, assigned: assigned.Count, running: 0);
            }

            var toRun = Dispatch.Answer(held, assigned, maxPerPoll);
            if (toRun.Count == 0) return [];
            // Read before the save, which commits (the write path's save ends its transaction).
            var runs = (await session.LoadManyAsync<Run>(ct, toRun.Select(j => j.RunId).Distinct())).ToDictionary(r => r.Id);
            if (assigned.Count > 0) await session.SaveChangesAsync(ct);
            return toRun.Where(j => runs.ContainsKey(j.RunId)).Select(j => Payload(j, runs[j.RunId])).ToList();
        }, ct);

    /// <summary>
    /// What the instance holds, in one round trip: its held jobs counted, and only the oldest unstarted ones read (a machine
    /// may run thousands at once; a poll answers <paramref name="maxPerPoll"/>). The poll holds the instance's lock, so
    /// nothing is assigned to it meanwhile, and a report that starts one of them waits for that lock to move the counters.
    /// </summary>
    private static async Task<Holding> HoldingAsync(IDocumentSession session, Guid instanceId, int maxPerPoll, CancellationToken ct)
    {
        var batch = session.CreateBatchQuery();
        var counts = batch.Query<HeldCounts>(HeldCountsSql, instanceId);
        var oldest = batch.Query<Job>(OldestUnstartedSql, instanceId, maxPerPoll);
        await batch.Execute(ct);
        var (unstarted, running) = (await counts).Single();
        return new Holding(unstarted, running, await oldest);
    }

    private sealed record HeldCounts(int Unstarted, int Running);

    // Literal statuses, so that the planner proves the held-jobs partial index (mt_doc_job_idx_held) applies.
    private static readonly string HeldCountsSql =
        $"select jsonb_build_object('unstarted', count(*) filter (where j.status = {(int)JobStatus.Created}), " +
        $"'running', count(*) filter (where j.status = {(int)JobStatus.InProgress})) from {MarketplaceSchema.JobTable} j " +
        $"where j.instance_id = ? and j.status in ({(int)JobStatus.Created}, {(int)JobStatus.InProgress})";

    private static readonly string OldestUnstartedSql =
        $"select j.data from {MarketplaceSchema.JobTable} j where j.instance_id = ? and j.status = {(int)JobStatus.Created} " +
        "order by j.queue, j.incremental_id limit ?";

    private static MachineJob Payload(Job job, Run run)
    {
        PythonLiteral.TryParseTupleOfTuples($"({job.Arguments},)", 1, out var arguments);
        return new MachineJob(job.Id, run.RegistryPath, run.RequiresGpu,
            WrappedCode.For(run.Runtime, run.Code, arguments[0], WrappedCode.MarkerFor(job.Id)));
    }

    // The queue's index gives the candidates; locking both the stream and the document rows means every other writer
    // of a job (a report, a deletion, a release) is waited for or skipped, and the rows returned are current.
    private static readonly string CandidatesSql =
        $"select j.data from {MarketplaceSchema.JobTable} j join {Schema}.mt_streams s on s.id = j.id " +
        $"where j.status = {(int)JobStatus.Created} and j.instance_id is null and j.registry_path = any(?) " +
        "and j.bid_price >= ? and j.base_gpu_cuda_cores <= ? order by j.queue, j.incremental_id limit ? for update of j, s skip locked";
}
