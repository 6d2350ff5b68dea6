namespace Sharedcloud.Es.Domain.Common;

/// <summary>Field name to messages, in the order the fields were checked (DRF's error shape).</summary>
public sealed class FieldErrors
{
    public const string NonField = "non_field_errors";
    private readonly Dictionary<string, List<string>> _errors = new();

    public bool IsEmpty => _errors.Count == 0;
    public IReadOnlyDictionary<string, List<string>> Items => _errors;

    public FieldErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
            _errors[field] = list = new List<string>();
        list.Add(message);
        return this;
    }

    public static FieldErrors For(string field, string message) => new FieldErrors().Add(field, message);

    public void ThrowIfAny()
    {
        if (!IsEmpty) throw new FieldErrorsException(this);
    }
}

/// <summary>
/// The request was refused for what its fields hold, by their shape check or by a rule of the decision: the one
/// exception of a 400 with field errors (DRF's <c>{"field": ["message", ...]}</c>).
/// </summary>
public sealed class FieldErrorsException(FieldErrors errors) : Exception("The request is invalid.")
{
    public FieldErrors Errors { get; } = errors;
}

/// <summary>The addressed object does not exist for the caller; maps to 404.</summary>
public sealed class NotFoundException() : Exception("Not found.");

/// <summary>A rule of the decision refused the request as a whole (not one field): 400 with a detail.</summary>
public sealed class RefusedException(string detail) : Exception(detail);
