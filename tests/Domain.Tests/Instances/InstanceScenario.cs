using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Domain.Tests.Instances;

/// <summary>
/// Given/when/then over an instance's events: past events are folded into <see cref="Instance"/>
/// by the domain's own fold (<see cref="Instance.Evolve"/>), the one the event store keeps the instance's document with.
/// </summary>
internal static class InstanceScenario
{
    public static readonly Guid InstanceId = Guid.Parse("0190f0aa-0000-7000-8000-000000000001");
    public static readonly Guid Owner = Guid.Parse("0190f0aa-0000-7000-8000-00000000000a");
    public static readonly Guid SomeoneElse = Guid.Parse("0190f0aa-0000-7000-8000-00000000000b");

    // From the catalog (src/Domain/Gpus/gpus.json).
    public static readonly Guid TitanV = Guid.Parse("caf0daeb-ba23-4499-b4f9-8b4965714366");
    public static readonly Guid TeslaK80 = Guid.Parse("015ecae7-0715-4139-9d26-b0fccd0a3f31");
    public const string UnknownGpu = "11111111-2222-3333-4444-555555555555";

    public static InstanceRegistered RegisteredCpu(int maxNumParallelJobs = 1, string name = "instance1", decimal askPrice = 0.02m) =>
        new(InstanceId, Owner, name, InstanceType.Cpu, null, askPrice, maxNumParallelJobs);

    public static InstanceRegistered RegisteredGpu(Guid? gpu = null, string name = "instance1", decimal askPrice = 0.02m) =>
        new(InstanceId, Owner, name, InstanceType.Gpu, gpu ?? TitanV, askPrice, 1);

    /// <summary>When the given events happened: a minute apart, from this moment.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    /// <summary>The state the given events produce, by the domain's own fold; null when there are none (no stream).</summary>
    public static Instance? Fold(params object[] events)
    {
        Instance? state = null;
        for (var i = 0; i < events.Length; i++) state = Instance.Evolve(state, events[i], Start.AddMinutes(i));
        return state;
    }

    /// <summary>A request's fields; anything not given was not sent.</summary>
    public static InstanceFields Fields(
        Field<string> name = default,
        Field<decimal> askPrice = default,
        Field<InstanceType> type = default,
        Field<string> gpu = default,
        Field<int> maxNumParallelJobs = default) =>
        new(name, askPrice, type, gpu, maxNumParallelJobs);

    public static Field<string> Text(string value) => Field<string>.Of(value);
    public static Field<decimal> Price(decimal value) => Field<decimal>.Of(value);
    public static Field<InstanceType> Type(InstanceType value) => Field<InstanceType>.Of(value);
    public static Field<string> Gpu(Guid value) => Field<string>.Of(value.ToString());
    public static Field<string> Gpu(string value) => Field<string>.Of(value);
    public static Field<int> ParallelJobs(int value) => Field<int>.Of(value);

    /// <summary>Runs <paramref name="when"/>, expecting it to reject with exactly these field errors.</summary>
    public static void ThenRejects(Action when, params (string Field, string Message)[] expected)
    {
        var e = Assert.Throws<FieldErrorsException>(when);
        Assert.Equal(Render(expected), Render(e.Errors));
    }

    /// <summary>Field errors as comparable text (the order of fields is not part of the contract).</summary>
    public static string Render(FieldErrors errors) =>
        Render(errors.Items.SelectMany(kv => kv.Value.Select(m => (kv.Key, m))));

    public static string Render(IEnumerable<(string Field, string Message)> errors) =>
        string.Join("\n", errors.Select(e => $"{e.Field}: {e.Message}").Order(StringComparer.Ordinal));
}
