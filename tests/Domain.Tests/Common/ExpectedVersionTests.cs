using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Domain.Tests.Common;

public class ExpectedVersionTests
{
    [Fact]
    public void No_expectation_is_met_by_every_version() =>
        ((ExpectedVersion?)null).ThrowIfNotMetBy("instance", 12);

    [Theory]
    [InlineData(1)]
    [InlineData(long.MaxValue)]
    public void Any_is_met_by_every_version(long version) => Assert.True(ExpectedVersion.Any.IsMetBy(version));

    [Fact]
    public void One_of_several_versions_is_met_by_each_of_them_only()
    {
        var expected = ExpectedVersion.OneOf(3, 5);

        Assert.Equal([false, false, true, false, true, false], Enumerable.Range(1, 6).Select(v => expected.IsMetBy(v)));
    }

    [Fact]
    public void An_empty_set_of_versions_is_met_by_none() => Assert.False(ExpectedVersion.OneOf().IsMetBy(1));

    [Fact]
    public void An_unmet_expectation_names_the_object_and_its_current_version()
    {
        var e = Assert.Throws<PreconditionFailedException>(() => ExpectedVersion.OneOf(1).ThrowIfNotMetBy("account", 4));

        Assert.Equal("Precondition failed: the account was modified (current version 4).", e.Message);
        Assert.Equal(("account", 4L), (e.Kind, e.CurrentVersion));
    }
}
