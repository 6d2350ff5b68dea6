using JasperFx.Events;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Projections.Replay;

namespace Sharedcloud.Es.Projections.States;

/// <summary>
/// Keeps a stream's domain state as an inline document, folded by the domain's own <see cref="IEvolving{TSelf}.Evolve"/>:
/// the one document that reads serve and writes decide on (Marten's FetchForWriting loads it with the stream's lock, in
/// one round trip, and applies the new events to it). Marten 9 generates dispatch code only in assemblies that reference
/// it; an explicit Evolve needs none, so the fold stays in the Domain.
/// </summary>
public sealed class StateProjection<TState, TEvent> : FoldingSingleStreamProjection<TState, Guid>, IUnversionedFields
    where TState : class, IEvolving<TState>
{
    /// <param name="name">The projection's name (the rebuild command's <c>-p</c>).</param>
    /// <param name="unversioned">Stored JSON names of fields written in place, without an event.</param>
    public StateProjection(string name, params string[] unversioned)
    {
        Name = name;
        UnversionedFields = unversioned;
        // The stream's events, and no others: a write of another stream never loads this document.
        foreach (var type in MartenConfiguration.EventNames.Keys.Where(t => typeof(TEvent).IsAssignableFrom(t))) IncludeType(type);
    }

    public IReadOnlyList<string> UnversionedFields { get; }

    // Only the stream's events reach it (IncludeType above).
    public override TState? Evolve(TState? snapshot, Guid id, IEvent e) => TState.Evolve(snapshot, e.Data, e.Timestamp);
}

/// <summary>
/// A read model with fields that are written in place, without an event (a machine's presence), so a rebuild from the
/// events cannot reproduce them: <c>events verify</c> leaves them out of its comparison. Names are the stored JSON names.
/// </summary>
public interface IUnversionedFields
{
    IReadOnlyList<string> UnversionedFields { get; }
}
