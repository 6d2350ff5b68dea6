namespace Sharedcloud.Es.Domain.Common;

/// <summary>
/// One field of a request as the client sent it: absent, null, a value, or input that could not
/// be read as the field's type. Keeping "could not be read" here lets the validator report it
/// together with every other failing field, as the API promises.
/// </summary>
public readonly record struct Field<T>
{
    public FieldState State { get; private init; }
    public T Value { get; private init; }
    /// <summary>Why the raw input could not be read, when <see cref="State"/> is Invalid.</summary>
    public string? Error { get; private init; }

    public static Field<T> Missing => default;
    public static Field<T> Null => new() { State = FieldState.Null };
    public static Field<T> Of(T value) => new() { State = FieldState.Present, Value = value };
    public static Field<T> Invalid(string error) => new() { State = FieldState.Invalid, Error = error };

    public bool IsMissing => State == FieldState.Missing;
    public bool IsPresent => State == FieldState.Present;

    /// <summary>The sent value, or <paramref name="current"/> when the field was not sent.</summary>
    public T Or(T current) => IsPresent ? Value : current;

    public override string ToString() => State switch
    {
        FieldState.Present => $"{Value}",
        FieldState.Invalid => $"invalid: {Error}",
        _ => State.ToString(),
    };
}

public enum FieldState { Missing, Null, Present, Invalid }
