namespace Sharedcloud.Es.Projections;

/// <summary>
/// Fields of a read model that are written in place, without an event (a machine's presence), so a
/// rebuild from the events cannot reproduce them: <c>events verify</c> leaves them out of its comparison.
/// Names are the stored JSON names.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class UnversionedFieldsAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}
