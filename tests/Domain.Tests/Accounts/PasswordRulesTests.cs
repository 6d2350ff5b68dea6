using Sharedcloud.Es.Domain.Accounts.Rules;

namespace Sharedcloud.Es.Domain.Tests.Accounts;

/// <summary>
/// Expectations were checked against Django's own validators (and its own common-password list).
/// </summary>
public class PasswordRulesTests
{
    private const string SimilarUsername = "The password is too similar to the username.";
    private const string SimilarEmail = "The password is too similar to the email address.";
    private const string Short = "This password is too short. It must contain at least 8 characters.";
    private const string Common = "This password is too common.";
    private const string Numeric = "This password is entirely numeric.";

    [Theory]
    [InlineData("correct-horse-battery", "john", "john@example.com")]
    [InlineData("tr0ub4dor&3", "john", "john@example.com")]
    [InlineData("alice-wonder", "alice", null)] // quick_ratio 10/17, under 0.7
    [InlineData("sky.net!", "x9z", "sarah.connor@sky.net")]
    [InlineData("½½½½½½½½", null, null)] // numeric but not a digit to str.isdigit()
    [InlineData("ΟΔΥΣΣΕΑΣz2!7x9", "ΟΔΥΣΣΕΑΣ", null)] // the username lowers to a final ς, the password to σ
    public void Accepts(string password, string? username, string? email) =>
        Assert.Empty(PasswordRules.Validate(password, username, email));

    [Theory]
    [InlineData("xk9#q", "john", null, new[] { Short })]
    [InlineData("𝐀𝐁𝐂𝐃𝐄𝐅𝐆", null, null, new[] { Short })] // 7 code points, 14 UTF-16 units
    [InlineData("", null, null, new[] { Short })]
    [InlineData("password", "admin", "admin@example.com", new[] { Common })]
    [InlineData(" PassWord ", null, null, new[] { Common })] // lowered and stripped first
    [InlineData("qwertyuiop", null, null, new[] { Common })]
    [InlineData("iloveyou", null, null, new[] { Common })]
    [InlineData("john1234", null, null, new[] { Common })] // no user attributes, no similarity check
    [InlineData("١٢٣٤٥٦٧٨", null, null, new[] { Numeric })]
    [InlineData("²²²²²²²²", null, null, new[] { Numeric })]
    [InlineData("12345678", "bob", "bob@example.com", new[] { Common, Numeric })]
    [InlineData("1234567", "bob", "bob@example.com", new[] { Short, Common, Numeric })]
    [InlineData("john1234", "john1234", "john@example.com", new[] { SimilarUsername, Common })]
    [InlineData("1234", "1234", null, new[] { SimilarUsername, Short, Common, Numeric })]
    public void Lists_every_failure_in_Djangos_order(string password, string? username, string? email, string[] expected) =>
        Assert.Equal(expected, PasswordRules.Validate(password, username, email));

    [Theory]
    [InlineData("JOHNNY!!", "Johnny", null, SimilarUsername)] // case-insensitive
    [InlineData("duolcderahs", "sharedcloud", null, SimilarUsername)] // quick_ratio ignores order
    [InlineData("ŻÓŁWIK99", "żółwik", null, SimilarUsername)]
    [InlineData("Sharedcloud2018", "sharedcloud", "team@sharedcloud.io", SimilarUsername)]
    [InlineData("johnsmith", "johnsmith", "johnsmith@example.com", SimilarUsername)] // the first similar attribute only
    [InlineData("examplecom", "someone", "someone@example.com", SimilarEmail)] // against the part "example"
    [InlineData("connor!!", "x9z", "sarah.connor@sky.net", SimilarEmail)]
    public void Reports_similarity_to_the_username_or_email(string password, string? username, string? email, string expected) =>
        Assert.Equal([expected], PasswordRules.Validate(password, username, email));

    [Theory]
    [InlineData("john", "")]
    [InlineData("john", null)]
    public void Skips_missing_attributes(string username, string? email) =>
        Assert.Empty(PasswordRules.Validate("zq8#Lw2!vx", username, email));
}
