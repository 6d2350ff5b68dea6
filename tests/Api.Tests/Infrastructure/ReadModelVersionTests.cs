using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Tests.Infrastructure;

/// <summary>
/// A state's Version is the object's ETag, and the write path compares If-Match with it. The inline document takes the
/// events of its stream by their marker interface, so every stored event name of a stream must be a type that carries
/// it; otherwise the document would skip that event and its tag fall behind, and every If-Match with it fail.
/// </summary>
public sealed class ReadModelVersionTests
{
    [Theory]
    [InlineData(typeof(IInstanceEvent), "instance_")]
    [InlineData(typeof(IAccountEvent), "account_")]
    public void Every_event_of_a_stream_reaches_its_state(Type marker, string prefix)
    {
        var events = MartenConfiguration.EventNames.Where(kv => kv.Value.StartsWith(prefix, StringComparison.Ordinal)).ToArray();

        Assert.NotEmpty(events);
        Assert.Empty(events.Where(kv => !marker.IsAssignableFrom(kv.Key)).Select(kv => kv.Value));
        Assert.Empty(MartenConfiguration.EventNames.Where(kv => !kv.Value.StartsWith(prefix, StringComparison.Ordinal))
            .Where(kv => marker.IsAssignableFrom(kv.Key)).Select(kv => kv.Value));
    }
}
