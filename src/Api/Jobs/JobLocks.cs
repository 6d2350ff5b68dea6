using Marten;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Domain.Jobs;
using Sharedcloud.Es.Projections;
using Sharedcloud.Es.Projections.Marketplace;

namespace Sharedcloud.Es.Api.Jobs;

/// <summary>
/// The jobs a write decides about beside its own stream (a deletion's cascade, an instance that lets go of its jobs),
/// locked as every writer of a job locks it, and the instance counters that jobs' events move.
/// </summary>
public static class JobLocks
{
    private const string Schema = MartenConfiguration.Schema;

    /// <summary>
    /// Locks the job streams (and their documents) that match <paramref name="where"/> (over the job table, alias j;
    /// <c>?</c> parameters), in id order, and returns their documents as they are once locked: PostgreSQL re-reads a
    /// locked row that a writer changed meanwhile.
    /// </summary>
    public static async Task<IReadOnlyList<Job>> LockAsync(IDocumentSession session, string where, CancellationToken ct,
        params object[] parameters) =>
        await session.QueryAsync<Job>(
            $"select j.data from {MarketplaceSchema.JobTable} j join {Schema}.mt_streams s on s.id = j.id " +
            $"where {where} order by j.id for update of j, s", ct, parameters);

    /// <summary>
    /// Moves the held-job counters of instance <paramref name="instanceId"/> in its stored document, in the write's
    /// batch. The update takes a share lock on the instance's stream first, so it waits for a writer of the instance
    /// (whose document would otherwise write back older counters) and never races one; writers of different jobs of the
    /// instance share it, and PostgreSQL applies their moves one after another.
    /// </summary>
    public static void MoveCounters(IDocumentSession session, Guid instanceId, int assigned, int running)
    {
        if (assigned == 0 && running == 0) return;
        session.QueueSqlCommand(
            $"with s as (select id from {Schema}.mt_streams where id = ? for share) " +
            $"update {Schema}.mt_doc_instancedetails d set data = d.data " +
            "|| jsonb_build_object('num_assigned_jobs', greatest(0, coalesce((d.data ->> 'num_assigned_jobs')::int, 0) + ?), " +
            "'num_running_jobs', greatest(0, coalesce((d.data ->> 'num_running_jobs')::int, 0) + ?)) from s where d.id = s.id",
            instanceId, assigned, running);
    }

    /// <summary>
    /// The instance lets go of its unfinished jobs (it is stopped, deleted or silent; the caller holds its lock and
    /// appends the instance's event, which resets its counters): each goes back to the queue, recorded with
    /// <paramref name="reason"/>.
    /// </summary>
    public static async Task ReleaseHeldAsync(IDocumentSession session, Guid instanceId, string reason, CancellationToken ct)
    {
        var held = await LockAsync(session,
            $"j.{MarketplaceSchema.Columns.InstanceId} = ? and j.{MarketplaceSchema.Columns.Status} in ({(int)JobStatus.Created}, {(int)JobStatus.InProgress})",
            ct, instanceId);
        foreach (var release in Domain.Jobs.Dispatching.Dispatch.Release(held, instanceId, reason))
        {
            var stream = session.Events.Append(release.StreamId, release.Event);
            Parties.Involve(stream.Events, held.First(j => j.Id == release.StreamId).AccountId);
        }
    }

    /// <summary>The counters of the instances that held <paramref name="jobs"/>, which a cascade deletes.</summary>
    public static void ReleaseCounters(IDocumentSession session, IEnumerable<Job> jobs)
    {
        foreach (var held in jobs.Where(j => j.IsHeld).GroupBy(j => j.InstanceId!.Value))
            MoveCounters(session, held.Key,
                assigned: -held.Count(j => j.Status == JobStatus.Created), running: -held.Count(j => j.Status == JobStatus.InProgress));
    }
}
