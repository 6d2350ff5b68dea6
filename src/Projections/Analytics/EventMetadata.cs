using System.Text.Json;
using JasperFx.Events;

namespace Sharedcloud.Es.Projections.Analytics;

/// <summary>
/// The audit headers every event carries (written by the API's audited sessions), as projections
/// read them back. Stored headers come back as JSON values or strings depending on the path, so
/// both are accepted.
/// </summary>
public static class EventMetadata
{
    public const string ActorIdHeader = "actor_id";
    public const string OwnerIdHeader = "owner_id";
    /// <summary>The other account an event concerns (a job's consumer, for what the provider's side appends).</summary>
    public const string PartyIdHeader = "party_id";

    public static string? ActorId(IEvent e) => Text(e.GetHeader(ActorIdHeader));

    public static Guid? OwnerId(IEvent e) => Guid.TryParse(Text(e.GetHeader(OwnerIdHeader)), out var id) ? id : null;

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } json => json.GetString(),
        JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        _ => value.ToString(),
    };
}
