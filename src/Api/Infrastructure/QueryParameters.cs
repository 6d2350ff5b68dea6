using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// Reads a request's query parameters with DRF's field messages, collecting every problem; bad
/// values end as one 400 with a field error per parameter (<see cref="ThrowIfInvalid"/>).
/// </summary>
public sealed class QueryParameters(IQueryCollection query)
{
    private readonly FieldErrors _errors = new();

    private string? Single(string name)
    {
        var values = query[name];
        if (values.Count == 0) return null;
        return values[^1]; // as Django's QueryDict: the last one wins
    }

    public bool Has(string name) => query.ContainsKey(name);

    public long? Integer(string name, long min, long max)
    {
        if (Single(name) is not { } text) return null;
        if (!long.TryParse(text.Trim(), System.Globalization.NumberStyles.AllowLeadingSign,
                System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            _errors.Add(name, Messages.InvalidInteger);
            return null;
        }
        if (value < min) _errors.Add(name, Messages.MinValue(min));
        else if (value > max) _errors.Add(name, Messages.MaxValue(max));
        else return value;
        return null;
    }

    public decimal? Decimal(string name)
    {
        if (Single(name) is not { } text) return null;
        if (decimal.TryParse(text.Trim(), System.Globalization.NumberStyles.AllowLeadingSign | System.Globalization.NumberStyles.AllowDecimalPoint,
                System.Globalization.CultureInfo.InvariantCulture, out var value))
            return value;
        _errors.Add(name, Messages.InvalidNumber);
        return null;
    }

    /// <summary>A parameter whose value must be one of <paramref name="choices"/>' keys (case-insensitive).</summary>
    public T? Choice<T>(string name, IReadOnlyDictionary<string, T> choices) where T : struct
    {
        if (Single(name) is not { } text) return null;
        if (choices.TryGetValue(text.Trim().ToLowerInvariant(), out var value)) return value;
        _errors.Add(name, Messages.InvalidChoice(text));
        return null;
    }

    public Moment? Moment(string name)
    {
        if (Single(name) is not { } text) return null;
        if (Infrastructure.Moment.TryParse(text, out var moment)) return moment;
        _errors.Add(name, Infrastructure.Moment.FormatsMessage);
        return null;
    }

    public Guid? Uuid(string name)
    {
        if (Single(name) is not { } text) return null;
        if (Guid.TryParse(text.Trim(), out var id)) return id;
        _errors.Add(name, Messages.InvalidUuid);
        return null;
    }

    /// <summary>A repeatable parameter whose values must come from <paramref name="allowed"/>.</summary>
    public IReadOnlyList<string> Choices(string name, IReadOnlyCollection<string> allowed)
    {
        var values = query[name];
        var chosen = new List<string>();
        foreach (var value in values)
        {
            if (value is not null && allowed.Contains(value)) chosen.Add(value);
            else _errors.Add(name, Messages.InvalidChoice(value ?? ""));
        }
        return chosen;
    }

    public void Fail(string name, string message) => _errors.Add(name, message);

    public void ThrowIfInvalid() => _errors.ThrowIfAny();
}
