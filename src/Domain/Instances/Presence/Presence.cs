namespace Sharedcloud.Es.Domain.Instances.Presence;

/// <summary>How long a machine may stay silent: online until <see cref="OfflineAfter"/>, on the market until <see cref="NotAvailableAfter"/>.</summary>
public sealed record PresenceWindows(TimeSpan OfflineAfter, TimeSpan NotAvailableAfter)
{
    public static PresenceWindows Default { get; } = new(TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(10));
}

/// <summary>
/// A machine's polls. Every poll refreshes its last contact in place (no event); only the
/// transitions are events: the first contact after a silence, and the silence itself.
/// </summary>
public static class Presence
{
    /// <summary>A poll at <paramref name="now"/>: an event only when the machine was offline.</summary>
    public static IReadOnlyList<object> Contact(Instance state, DateTimeOffset now) =>
        state.IsOnline ? [] : [new InstanceCameOnline(state.Id, now)];

    /// <summary>
    /// What a silence check at <paramref name="now"/> decides, given the machine's real last contact:
    /// the events the silence calls for, and when to look again (null: nothing left to watch).
    /// </summary>
    public static (IReadOnlyList<object> Events, DateTimeOffset? NextCheck) CheckSilence(
        Instance? state, DateTimeOffset lastContact, DateTimeOffset now, PresenceWindows windows)
    {
        if (state is null) return ([], null); // deleted: nothing left to watch
        var events = new List<object>();
        var online = state.IsOnline;
        var status = state.Status;
        if (online && now - lastContact >= windows.OfflineAfter)
        {
            events.Add(new InstanceWentOffline(state.Id, lastContact));
            online = false;
        }
        if (!online && status == InstanceStatus.Available && now - lastContact >= windows.NotAvailableAfter)
        {
            events.Add(new InstanceStopped(state.Id));
            status = InstanceStatus.NotAvailable;
        }

        DateTimeOffset? next = online ? lastContact + windows.OfflineAfter
            : status == InstanceStatus.Available ? lastContact + windows.NotAvailableAfter
            : null;
        return (events, next);
    }
}
