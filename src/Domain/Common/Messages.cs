namespace Sharedcloud.Es.Domain.Common;

/// <summary>The standard field messages of Django REST Framework, which clients match on.</summary>
public static class Messages
{
    public const string Required = "This field is required.";
    public const string Blank = "This field may not be blank.";
    public const string Null = "This field may not be null.";
    public const string InvalidInteger = "A valid integer is required.";
    public const string InvalidNumber = "A valid number is required.";
    public const string InvalidUuid = "Must be a valid UUID.";
    public const string InvalidString = "Not a valid string.";
    /// <summary>DRF's CharField refuses U+0000 (PostgreSQL cannot store it in text or jsonb either).</summary>
    public const string NullCharacters = "Null characters are not allowed.";

    public static string InvalidChoice(string input) => $"\"{input}\" is not a valid choice.";
    public static string MaxLength(int n) => $"Ensure this field has no more than {n} characters.";
    public static string MinValue(object n) => $"Ensure this value is greater than or equal to {n}.";
    public static string MaxValue(object n) => $"Ensure this value is less than or equal to {n}.";
    public static string MaxDecimalPlaces(int n) => $"Ensure that there are no more than {n} decimal places.";
    public static string MaxDigits(int n) => $"Ensure that there are no more than {n} digits in total.";
    public static string DoesNotExist(string pk) => $"Invalid pk \"{pk}\" - object does not exist.";
}
