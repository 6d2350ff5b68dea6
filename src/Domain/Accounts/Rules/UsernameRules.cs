namespace Sharedcloud.Es.Domain.Accounts.Rules;

/// <summary>Django's <c>UnicodeUsernameValidator</c> plus DRF's max_length check, both reported.</summary>
public static class UsernameRules
{
    public const int MaxLength = 150;

    public const string InvalidMessage =
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";

    public const string TooLongMessage = "Ensure this field has no more than 150 characters.";

    /// <summary>Checks an already trimmed username; an empty one is left to the required/blank checks.</summary>
    public static IReadOnlyList<string> Validate(string username)
    {
        if (username.Length == 0) return [];
        var errors = new List<string>(2);
        // ^[\w.@+-]+\Z with Python's \w, which (unlike .NET's) takes astral letters and no combining marks.
        if (!username.EnumerateRunes().All(r => PythonText.IsWordChar(r) || r.Value is '.' or '@' or '+' or '-'))
        {
            errors.Add(InvalidMessage);
        }
        if (PythonText.Length(username) > MaxLength) errors.Add(TooLongMessage);
        return errors;
    }
}
