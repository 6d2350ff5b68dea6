using JasperFx.Events;

namespace Sharedcloud.Es.Api.Auditing;

/// <summary>
/// The audit feed shows an account the events it owns and those it is a party to (<see cref="Domain.Common.IHasParty"/>):
/// a job's events are the consumer's as much as the provider's, so those the provider's side appends (assignment,
/// reports, releases, the consumer's charge) carry the consumer as a party.
/// </summary>
public static class Parties
{
    public static void Involve(IEnumerable<IEvent> events, Guid party)
    {
        var value = party.ToString();
        foreach (var e in events) e.SetHeader(RequestAudit.PartyIdHeader, value);
    }
}
