namespace Sharedcloud.Es.Domain.Common;

/// <summary>
/// The state of one kind of stream, folded from its events: the one fold there is of it, used by the store's
/// inline document (what reads serve and writes decide on), by time travel, by the write path to answer with the
/// state it just produced, and by the tests.
/// </summary>
public interface IEvolving<TSelf> where TSelf : class, IEvolving<TSelf>
{
    /// <summary>The stream version this state was folded from (the object's ETag): one per event.</summary>
    long Version { get; }

    /// <summary>
    /// The state after <paramref name="e"/>, an event of the stream recorded at <paramref name="at"/>; null for a
    /// stream that does not (or no longer) exist for clients. A state that goes on existing counts the event in its
    /// <see cref="Version"/>.
    /// </summary>
    static abstract TSelf? Evolve(TSelf? state, object e, DateTimeOffset at);
}
