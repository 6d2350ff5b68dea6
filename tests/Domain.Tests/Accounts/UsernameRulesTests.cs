using Sharedcloud.Es.Domain.Accounts.Rules;

namespace Sharedcloud.Es.Domain.Tests.Accounts;

public class UsernameRulesTests
{
    private const string Invalid = UsernameRules.InvalidMessage;
    private const string TooLong = UsernameRules.TooLongMessage;

    [Theory]
    [InlineData("john")]
    [InlineData("john.doe@example.com")]
    [InlineData("a+b-c_d")]
    [InlineData("_")]
    [InlineData("Żółw")]
    [InlineData("用户名")]
    [InlineData("Ωμέγα")]
    [InlineData("ǅemal")] // titlecase letter
    [InlineData("𝐀𝐁")] // letters outside the BMP, which .NET's \w would not take
    [InlineData("١٢٣")] // Arabic-Indic digits
    [InlineData("Ⅻ")] // letter number
    [InlineData("x²")] // other number
    [InlineData("")] // left to the required/blank checks
    public void Accepts_letters_numbers_and_the_five_symbols(string username) =>
        Assert.Empty(UsernameRules.Validate(username));

    [Theory]
    [InlineData("john doe")]
    [InlineData("john!")]
    [InlineData("a/b")]
    [InlineData("e\u0301")] // a combining mark is not \w in Python
    [InlineData("a\u200b")] // zero-width space
    [InlineData("😀")]
    [InlineData("name\n")] // \Z, not $: a trailing newline fails too
    [InlineData("tab\t")]
    public void Rejects_anything_else(string username) =>
        Assert.Equal([Invalid], UsernameRules.Validate(username));

    public static TheoryData<string, string[]> Lengths => new()
    {
        { new string('a', 150), [] },
        { new string('a', 151), [TooLong] },
        { new string('ж', 150), [] },
        { new string('ж', 151), [TooLong] },
        // Counted in code points as Python does: 150 of these are 300 UTF-16 units.
        { string.Concat(Enumerable.Repeat("𝐀", 150)), [] },
        { string.Concat(Enumerable.Repeat("𝐀", 151)), [TooLong] },
        { new string('!', 151), [Invalid, TooLong] },
    };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Allows_at_most_150_characters_and_reports_both_failures(string username, string[] expected) =>
        Assert.Equal(expected, UsernameRules.Validate(username));
}
