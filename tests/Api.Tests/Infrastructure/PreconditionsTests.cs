using Microsoft.AspNetCore.Http;
using Sharedcloud.Es.Api.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Infrastructure;

/// <summary>If-Match and If-None-Match as <see cref="Preconditions"/> reads them (no server needed).</summary>
public sealed class PreconditionsTests
{
    private static HttpRequest Request(string header, params string[] values)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[header] = values;
        return context.Request;
    }

    /// <summary>Which of versions 0 to 5 an If-Match header lets a write through at.</summary>
    private static string MetBy(params string[] ifMatch)
    {
        var expected = Preconditions.IfMatch(Request("If-Match", ifMatch));
        Assert.NotNull(expected);
        return string.Join(",", Enumerable.Range(0, 6).Where(v => expected.IsMetBy(v)));
    }

    [Theory]
    [InlineData("\"3\"", "3")]
    [InlineData(" \"3\" ", "3")]
    [InlineData("\"3\",\"5\"", "3,5")]
    [InlineData("\"3\" , ,\t\"5\" ,", "3,5")]
    [InlineData("\"0\"", "0")]
    [InlineData("*", "0,1,2,3,4,5")]
    [InlineData(" * ", "0,1,2,3,4,5")]
    [InlineData("W/\"3\"", "")]
    [InlineData("W/\"3\", \"4\"", "4")]
    [InlineData("w/\"3\"", "")]
    [InlineData("\"03\"", "")]
    [InlineData("\"+3\"", "")]
    [InlineData("\"3 \"", "")]
    [InlineData("\"abc\"", "")]
    [InlineData("\"99999999999999999999\"", "")]
    [InlineData("3", "")]
    [InlineData("\"3", "")]
    [InlineData("\"3\" \"4\"", "")]
    [InlineData("\"3\", 4", "")]
    [InlineData("*, \"3\"", "")]
    [InlineData("", "")]
    public void If_match_compares_strongly_and_a_malformed_header_matches_nothing(string header, string metBy) =>
        Assert.Equal(metBy, MetBy(header));

    [Fact]
    public void If_match_over_several_header_lines_is_one_list() => Assert.Equal("1,4", MetBy("\"1\"", "\"4\""));

    [Fact]
    public void No_if_match_is_no_condition() => Assert.Null(Preconditions.IfMatch(new DefaultHttpContext().Request));

    [Theory]
    [InlineData("\"3\"", true)]
    [InlineData("W/\"3\"", true)]
    [InlineData("*", true)]
    [InlineData("\"1\", W/\"3\"", true)]
    [InlineData("\"4\"", false)]
    [InlineData("\"03\"", false)]
    [InlineData("3", false)]
    [InlineData("\"3", false)]
    [InlineData("", false)]
    public void If_none_match_compares_weakly(string header, bool matches) =>
        Assert.Equal(matches, Preconditions.IfNoneMatch(Request("If-None-Match", header), 3));

    [Fact]
    public void No_if_none_match_matches_nothing() => Assert.False(Preconditions.IfNoneMatch(new DefaultHttpContext().Request, 3));

    [Theory]
    [InlineData(1, "\"1\"")]
    [InlineData(long.MaxValue, "\"9223372036854775807\"")]
    public void The_tag_is_the_version_in_quotes(long version, string tag) => Assert.Equal(tag, Preconditions.ETag(version));
}
