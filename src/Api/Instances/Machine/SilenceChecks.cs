using Marten;
using Microsoft.Extensions.Options;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Jobs.Dispatching;
using Sharedcloud.Es.Domain.Instances.Presence;
using Sharedcloud.Es.Api.Infrastructure;
using Wolverine;

namespace Sharedcloud.Es.Api.Instances.Machine;

/// <summary>How long a machine may be silent (configuration section <c>Presence</c>).</summary>
public sealed class PresenceOptions
{
    public const string Section = "Presence";

    /// <summary>Online while the last contact is newer than this (default 60 s).</summary>
    public TimeSpan OfflineAfter { get; set; } = PresenceWindows.Default.OfflineAfter;

    /// <summary>An AVAILABLE machine silent for this long is taken off the market (default 10 min).</summary>
    public TimeSpan NotAvailableAfter { get; set; } = PresenceWindows.Default.NotAvailableAfter;

    public PresenceWindows Windows => new(OfflineAfter, NotAvailableAfter);
}

/// <summary>A durable scheduled message: look at the instance's silence now.</summary>
public sealed record CheckSilence(Guid InstanceId);

/// <summary>
/// Runs a scheduled silence check (Wolverine, durable: the schedule lives in PostgreSQL, survives
/// restarts, and one node runs each message). Holding the stream lock, it reads the real last
/// contact, lets the domain decide, appends the decided events as <c>system</c> and schedules the
/// next look, all in one transaction. Running a check twice changes nothing the second time.
/// </summary>
public static class CheckSilenceHandler
{
    public static async Task Handle(CheckSilence message, IDocumentSession session, IMessageBus bus, TimeProvider clock,
        IOptions<PresenceOptions> options, CancellationToken ct) =>
        await StreamWrites.AppendDecidedAsync<Instance>(session, message.InstanceId, async (_, _) =>
        {
            // Polls refresh last_connection in place without the stream's lock: the document is read again under its
            // row's lock, so a poll that comes now waits for this decision, then finds the machine as it leaves it.
            var state = await LockDocumentAsync(session, message.InstanceId, ct);
            if (state?.LastConnection is not { } lastContact) return [];
            var (events, next) = Presence.CheckSilence(state, lastContact, clock.GetUtcNow(), options.Value.Windows);
            if (events.Count > 0) RequestAudit.StampSystem(session, state.AccountId);
            if (events.Any(e => e is InstanceWentOffline))
                await Jobs.JobLocks.ReleaseHeldAsync(session, state.Id, JobRelease.Offline, ct);
            if (next is { } at) await bus.ScheduleAsync(new CheckSilence(message.InstanceId), at);
            return events;
        }, ct);

    private static async Task<Instance?> LockDocumentAsync(IDocumentSession session, Guid id, CancellationToken ct) =>
        (await session.QueryAsync<Instance>(
            $"select data from {Projections.MartenConfiguration.Schema}.mt_doc_instancedetails where id = ? for update", ct, id))
        .SingleOrDefault();
}
