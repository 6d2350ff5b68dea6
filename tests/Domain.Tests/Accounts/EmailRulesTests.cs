using Sharedcloud.Es.Domain.Accounts.Rules;

namespace Sharedcloud.Es.Domain.Tests.Accounts;

public class EmailRulesTests
{
    [Theory]
    [InlineData("john@example.com")]
    [InlineData("john.doe+tag@sub.example.co.uk")]
    [InlineData("!#$%&'*+/=?^_`{|}~@example.com")]
    [InlineData("\"john.doe\"@example.com")]
    [InlineData("\"a\\ b\"@example.com")] // a space only escaped inside quotes
    [InlineData("x@localhost")]
    [InlineData("x@bücher.de")]
    [InlineData("x@日本.jp")]
    [InlineData("x@b.xn--p1ai")]
    [InlineData("a@[1.2.3.4]")]
    [InlineData("a@[::1]")]
    [InlineData("a@[2001:db8::1]")]
    [InlineData("a@[0000:0000:0000:0000:0000:0000:0000:0001]")]
    [InlineData("ſ@example.com")] // re.IGNORECASE lets [A-Z] match the long s
    public void Accepts(string email) => Assert.True(EmailRules.IsValid(email));

    [Theory]
    [InlineData("")]
    [InlineData("john")]
    [InlineData("@example.com")]
    [InlineData("john@")]
    [InlineData("john@example")]
    [InlineData("john@example.c")]
    [InlineData("john@example.com.")]
    [InlineData("john@example..com")]
    [InlineData("john@-example.com")]
    [InlineData("john@example-.com")]
    [InlineData(".john@example.com")]
    [InlineData("john.@example.com")]
    [InlineData("jo..hn@example.com")]
    [InlineData("john doe@example.com")]
    [InlineData("\"john doe\"@example.com")]
    [InlineData("john@example.com\n")]
    [InlineData("a@b@example.com")]
    [InlineData("a@b.c0m")] // no digits in a TLD unless punycode
    [InlineData("a@b.12")]
    [InlineData("x@LOCALHOST")] // the allowlist is case-sensitive
    [InlineData("x@😀.com")] // astral characters are outside Django's U+00A1..U+FFFF
    [InlineData("a@[01.2.3.4]")]
    [InlineData("a@[256.1.1.1]")]
    [InlineData("a@[1.2.3]")]
    [InlineData("a@[IPv6:::1]")]
    [InlineData("a@[00000:0000:0000:0000:0000:0000:0000:0001]")] // over Django's 39 characters
    public void Rejects(string email) => Assert.False(EmailRules.IsValid(email));

    [Theory]
    [InlineData(320, true)]
    [InlineData(321, false)]
    public void Allows_at_most_320_characters(int length, bool valid) =>
        Assert.Equal(valid, EmailRules.IsValid(new string('a', length - "@example.com".Length) + "@example.com"));

    [Theory]
    [InlineData(63, true)]
    [InlineData(64, false)]
    public void Allows_domain_labels_of_at_most_63_characters(int length, bool valid) =>
        Assert.Equal(valid, EmailRules.IsValid("x@" + new string('a', length) + ".com"));

    [Fact]
    public void Message_is_Djangos() => Assert.Equal("Enter a valid email address.", EmailRules.InvalidMessage);
}
