namespace Sharedcloud.Es.Domain.Common;

/// <summary>
/// A state whose stream's events concern one more account than the one that acts: a job's consumer, whose job a
/// provider's machine is handed and reports on. The audit trail shows such events to that account as well.
/// </summary>
public interface IHasParty
{
    Guid PartyId { get; }
}
