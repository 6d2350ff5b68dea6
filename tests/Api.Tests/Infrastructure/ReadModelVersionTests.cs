using System.Reflection;
using JasperFx.Events;
using Sharedcloud.Es.Projections;
using Sharedcloud.Es.Projections.Accounts;
using Sharedcloud.Es.Projections.Instances;

namespace Sharedcloud.Es.Api.Tests.Infrastructure;

/// <summary>
/// A read model's Version is the object's ETag, and the handlers compare If-Match with the stream's version.
/// Marten moves a document's Version only for events its projection takes, so each projection must take
/// every event of its stream, even one that changes nothing it shows; otherwise the tag falls behind and
/// every If-Match with it fails.
/// </summary>
public sealed class ReadModelVersionTests
{
    [Theory]
    [InlineData(typeof(InstanceDetailsProjection), "instance_")]
    [InlineData(typeof(AccountDetailsProjection), "account_")]
    public void The_projection_takes_every_event_of_its_stream(Type projection, string prefix)
    {
        var taken = projection.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m.Name is "Create" or "Apply" or "ShouldDelete")
            .SelectMany(m => m.GetParameters())
            .Select(p => p.ParameterType is { IsGenericType: true } t && t.GetGenericTypeDefinition() == typeof(IEvent<>)
                ? t.GetGenericArguments()[0]
                : p.ParameterType)
            .ToHashSet();

        var events = MartenConfiguration.EventNames.Where(kv => kv.Value.StartsWith(prefix, StringComparison.Ordinal)).ToArray();

        Assert.NotEmpty(events);
        Assert.Empty(events.Where(kv => !taken.Contains(kv.Key)).Select(kv => kv.Value));
    }
}
