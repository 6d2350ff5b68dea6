using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Changing;
using static Sharedcloud.Es.Domain.Tests.Instances.InstanceScenario;

namespace Sharedcloud.Es.Domain.Tests.Instances;

/// <summary>PUT/PATCH: given the instance's events, when ChangeInstance, then exactly these new events.</summary>
public class ChangeInstanceTests
{
    private static IReadOnlyList<object> When(object[] given, InstanceFields fields, Guid? caller = null, bool replace = false,
        ExpectedVersion? expected = null) =>
        ChangeInstance.Decide(new ChangeInstance(InstanceId, caller ?? Owner, replace, fields, expected), Fold(given));

    private static object[] Given(params object[] events) => events;

    // ---- simple changes ----

    [Fact]
    public void Renaming_appends_instance_renamed()
    {
        var events = When(Given(RegisteredCpu()), Fields(name: Text("renamed")));

        Assert.Equal([new InstanceRenamed(InstanceId, "renamed")], events);
    }

    [Fact]
    public void Changing_the_price_appends_instance_price_changed()
    {
        var events = When(Given(RegisteredCpu(askPrice: 0.02m)), Fields(askPrice: Price(1.5m)));

        Assert.Equal([new InstancePriceChanged(InstanceId, 1.5m)], events);
    }

    [Fact]
    public void Changing_the_parallelism_of_a_cpu_instance_appends_instance_parallelism_changed()
    {
        var events = When(Given(RegisteredCpu()), Fields(maxNumParallelJobs: ParallelJobs(4)));

        Assert.Equal([new InstanceParallelismChanged(InstanceId, 4)], events);
    }

    [Fact]
    public void A_change_is_decided_against_the_latest_state_not_the_registration()
    {
        // renamed to "b", then a request for "a" again is a real change
        var events = When(Given(RegisteredCpu(name: "a"), new InstanceRenamed(InstanceId, "b")), Fields(name: Text("a")));

        Assert.Equal([new InstanceRenamed(InstanceId, "a")], events);
    }

    // ---- nothing changes ----

    [Fact]
    public void A_patch_with_no_fields_appends_nothing() =>
        Assert.Empty(When(Given(RegisteredCpu()), Fields()));

    [Fact]
    public void A_patch_that_resends_the_current_values_appends_nothing() =>
        Assert.Empty(When(Given(RegisteredCpu(maxNumParallelJobs: 3, name: "instance1", askPrice: 0.02m)),
            Fields(name: Text("instance1"), askPrice: Price(0.020m), type: Type(InstanceType.Cpu), maxNumParallelJobs: ParallelJobs(3))));

    [Fact]
    public void A_patch_that_resends_a_gpu_instances_current_values_appends_nothing() =>
        Assert.Empty(When(Given(RegisteredGpu(TitanV)),
            Fields(name: Text("instance1"), askPrice: Price(0.02m), type: Type(InstanceType.Gpu), gpu: Gpu(TitanV), maxNumParallelJobs: ParallelJobs(1))));

    [Fact]
    public void A_put_with_only_name_and_price_keeps_the_other_fields() =>
        Assert.Equal([new InstanceRenamed(InstanceId, "new")],
            When(Given(RegisteredGpu(TeslaK80)), Fields(name: Text("new"), askPrice: Price(0.02m)), replace: true));

    [Fact]
    public void A_null_gpu_on_a_cpu_instance_changes_nothing() =>
        Assert.Empty(When(Given(RegisteredCpu()), Fields(gpu: Field<string>.Null)));

    // ---- several fields ----

    [Fact]
    public void One_patch_changing_every_field_appends_one_event_per_field_in_a_stable_order()
    {
        var events = When(Given(RegisteredCpu(maxNumParallelJobs: 3)),
            Fields(maxNumParallelJobs: ParallelJobs(1), gpu: Gpu(TitanV), type: Type(InstanceType.Gpu), askPrice: Price(0.5m), name: Text("rig")));

        Assert.Equal(
        [
            new InstanceRenamed(InstanceId, "rig"),
            new InstancePriceChanged(InstanceId, 0.5m),
            new InstanceTypeChanged(InstanceId, InstanceType.Gpu, TitanV),
            new InstanceParallelismChanged(InstanceId, 1),
        ], events);
    }

    [Fact]
    public void One_patch_changing_name_and_price_appends_renamed_then_price_changed() =>
        Assert.Equal([new InstanceRenamed(InstanceId, "x"), new InstancePriceChanged(InstanceId, 3m)],
            When(Given(RegisteredCpu()), Fields(askPrice: Price(3m), name: Text("x"))));

    [Fact]
    public void Only_the_fields_that_really_change_become_events() =>
        Assert.Equal([new InstancePriceChanged(InstanceId, 3m)],
            When(Given(RegisteredCpu(maxNumParallelJobs: 2)),
                Fields(name: Text("instance1"), askPrice: Price(3m), maxNumParallelJobs: ParallelJobs(2))));

    // ---- GPU needs a gpu, given now or already set ----

    [Fact]
    public void Switching_to_gpu_with_a_gpu_appends_instance_type_changed_with_that_gpu() =>
        Assert.Equal([new InstanceTypeChanged(InstanceId, InstanceType.Gpu, TeslaK80)],
            When(Given(RegisteredCpu()), Fields(type: Type(InstanceType.Gpu), gpu: Gpu(TeslaK80))));

    [Fact]
    public void Switching_to_gpu_without_a_gpu_is_rejected() =>
        ThenRejects(() => When(Given(RegisteredCpu()), Fields(type: Type(InstanceType.Gpu))),
            ("gpu", InstanceRules.GpuRequired));

    [Fact]
    public void Switching_to_gpu_with_a_null_gpu_is_rejected() =>
        ThenRejects(() => When(Given(RegisteredCpu()), Fields(type: Type(InstanceType.Gpu), gpu: Field<string>.Null)),
            ("gpu", InstanceRules.GpuRequired));

    [Fact]
    public void Resending_type_gpu_keeps_the_gpu_already_set() =>
        Assert.Empty(When(Given(RegisteredGpu(TeslaK80)), Fields(type: Type(InstanceType.Gpu))));

    [Fact]
    public void Renaming_a_gpu_instance_keeps_its_gpu()
    {
        var given = Given(RegisteredGpu(TeslaK80));
        var events = When(given, Fields(name: Text("renamed")));

        Assert.Equal([new InstanceRenamed(InstanceId, "renamed")], events);
        Assert.Equal(TeslaK80, Fold([.. given, .. events])!.GpuId);
    }

    [Fact]
    public void Removing_the_gpu_of_a_gpu_instance_is_rejected() =>
        ThenRejects(() => When(Given(RegisteredGpu(TitanV)), Fields(gpu: Field<string>.Null)),
            ("gpu", InstanceRules.GpuRequired));

    [Fact]
    public void Switching_back_to_gpu_needs_a_gpu_again_because_cpu_cleared_it() =>
        ThenRejects(() => When(Given(RegisteredGpu(TitanV), new InstanceTypeChanged(InstanceId, InstanceType.Cpu, null)),
                Fields(type: Type(InstanceType.Gpu))),
            ("gpu", InstanceRules.GpuRequired));

    [Fact]
    public void Moving_a_gpu_instance_to_another_gpu_appends_instance_gpu_changed() =>
        Assert.Equal([new InstanceGpuChanged(InstanceId, TeslaK80)],
            When(Given(RegisteredGpu(TitanV)), Fields(gpu: Gpu(TeslaK80))));

    [Fact]
    public void Moving_to_another_gpu_is_decided_against_the_latest_gpu() =>
        Assert.Empty(When(Given(RegisteredGpu(TitanV), new InstanceGpuChanged(InstanceId, TeslaK80)), Fields(gpu: Gpu(TeslaK80))));

    // ---- gpu unnecessary for CPU; GPU -> CPU clears the gpu ----

    [Fact]
    public void A_gpu_is_unnecessary_for_a_cpu_instance() =>
        ThenRejects(() => When(Given(RegisteredCpu()), Fields(gpu: Gpu(TitanV))),
            ("gpu", InstanceRules.GpuUnnecessary));

    [Fact]
    public void A_gpu_is_unnecessary_when_switching_to_cpu() =>
        ThenRejects(() => When(Given(RegisteredGpu(TitanV)),
                Fields(name: Text("new"), type: Type(InstanceType.Cpu), askPrice: Price(2.5m), maxNumParallelJobs: ParallelJobs(5), gpu: Gpu(TitanV))),
            ("gpu", InstanceRules.GpuUnnecessary));

    [Fact]
    public void Switching_gpu_to_cpu_clears_the_gpu()
    {
        var given = Given(RegisteredGpu(TitanV));
        var events = When(given, Fields(type: Type(InstanceType.Cpu)));

        Assert.Equal([new InstanceTypeChanged(InstanceId, InstanceType.Cpu, null)], events);
        var after = Fold([.. given, .. events])!;
        Assert.Equal(InstanceType.Cpu, after.Type);
        Assert.Null(after.GpuId);
    }

    [Fact]
    public void Switching_gpu_to_cpu_with_an_explicit_null_gpu_clears_the_gpu() =>
        Assert.Equal([new InstanceTypeChanged(InstanceId, InstanceType.Cpu, null)],
            When(Given(RegisteredGpu(TitanV)), Fields(type: Type(InstanceType.Cpu), gpu: Field<string>.Null)));

    [Fact]
    public void Switching_gpu_to_cpu_may_raise_the_parallelism_in_the_same_request() =>
        Assert.Equal(
            [new InstanceTypeChanged(InstanceId, InstanceType.Cpu, null), new InstanceParallelismChanged(InstanceId, 4)],
            When(Given(RegisteredGpu(TitanV)), Fields(maxNumParallelJobs: ParallelJobs(4), type: Type(InstanceType.Cpu))));

    // ---- GPU: a single job ----

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public void A_gpu_instance_cannot_take_more_than_one_job(int jobs) =>
        ThenRejects(() => When(Given(RegisteredGpu(TitanV)), Fields(maxNumParallelJobs: ParallelJobs(jobs))),
            ("max_num_parallel_jobs", InstanceRules.GpuSingleJob));

    [Fact]
    public void Switching_to_gpu_while_sending_several_jobs_is_rejected_with_the_single_job_message() =>
        ThenRejects(() => When(Given(RegisteredCpu(maxNumParallelJobs: 3)),
                Fields(type: Type(InstanceType.Gpu), gpu: Gpu(TitanV), maxNumParallelJobs: ParallelJobs(2))),
            ("max_num_parallel_jobs", InstanceRules.GpuSingleJob));

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Switching_to_gpu_with_a_stored_parallelism_above_one_and_none_sent_names_the_current_value(int stored) =>
        ThenRejects(() => When(Given(RegisteredCpu(maxNumParallelJobs: stored)), Fields(type: Type(InstanceType.Gpu), gpu: Gpu(TitanV))),
            ("max_num_parallel_jobs", $"current set value ({stored}) is invalid for a GPU instance. Please set it to 1"));

    [Fact]
    public void The_current_set_value_message_uses_the_latest_stored_parallelism() =>
        ThenRejects(() => When(Given(RegisteredCpu(maxNumParallelJobs: 2), new InstanceParallelismChanged(InstanceId, 7)),
                Fields(type: Type(InstanceType.Gpu), gpu: Gpu(TitanV))),
            ("max_num_parallel_jobs", "current set value (7) is invalid for a GPU instance. Please set it to 1"));

    [Fact]
    public void Switching_to_gpu_with_a_stored_parallelism_above_one_is_accepted_when_1_is_sent() =>
        Assert.Equal(
            [new InstanceTypeChanged(InstanceId, InstanceType.Gpu, TitanV), new InstanceParallelismChanged(InstanceId, 1)],
            When(Given(RegisteredCpu(maxNumParallelJobs: 3)),
                Fields(type: Type(InstanceType.Gpu), gpu: Gpu(TitanV), maxNumParallelJobs: ParallelJobs(1))));

    [Fact]
    public void Switching_to_gpu_with_a_stored_parallelism_of_one_needs_no_new_value() =>
        Assert.Equal([new InstanceTypeChanged(InstanceId, InstanceType.Gpu, TitanV)],
            When(Given(RegisteredCpu(maxNumParallelJobs: 1)), Fields(type: Type(InstanceType.Gpu), gpu: Gpu(TitanV))));

    // ---- unknown gpu, several errors ----

    [Fact]
    public void Switching_to_gpu_without_a_gpu_and_with_a_stored_parallelism_gets_both_errors_at_once() =>
        ThenRejects(() => When(Given(RegisteredCpu(maxNumParallelJobs: 4)), Fields(type: Type(InstanceType.Gpu))),
            ("gpu", InstanceRules.GpuRequired),
            ("max_num_parallel_jobs", "current set value (4) is invalid for a GPU instance. Please set it to 1"));

    [Fact]
    public void Switching_to_gpu_with_several_jobs_is_refused_for_the_jobs() =>
        ThenRejects(() => When(Given(RegisteredCpu()),
                Fields(type: Type(InstanceType.Gpu), gpu: Gpu(TitanV), maxNumParallelJobs: ParallelJobs(2))),
            ("max_num_parallel_jobs", InstanceRules.GpuSingleJob));

    [Fact]
    public void A_rejected_patch_decides_nothing_even_for_its_valid_fields() =>
        // the rename is valid, but the request as a whole is rejected: no partial write
        ThenRejects(() => When(Given(RegisteredCpu()), Fields(name: Text("renamed"), gpu: Gpu(TitanV))),
            ("gpu", InstanceRules.GpuUnnecessary));

    // ---- not found ----

    [Fact]
    public void Another_accounts_instance_is_not_found() =>
        Assert.Throws<NotFoundException>(() => When(Given(RegisteredCpu()), Fields(name: Text("mine now")), caller: SomeoneElse));

    [Fact]
    public void Another_accounts_instance_is_not_found_even_for_an_invalid_change() =>
        Assert.Throws<NotFoundException>(() => When(Given(RegisteredCpu()), Fields(gpu: Gpu(TitanV)), caller: SomeoneElse));

    [Fact]
    public void A_deleted_instance_is_not_found() =>
        Assert.Throws<NotFoundException>(() => When(Given(RegisteredCpu(), new InstanceDeleted(InstanceId)), Fields(name: Text("x"))));

    [Fact]
    public void A_deleted_instance_is_not_found_even_for_a_change_of_nothing() =>
        Assert.Throws<NotFoundException>(() => When(Given(RegisteredCpu(), new InstanceDeleted(InstanceId)), Fields()));

    [Fact]
    public void An_instance_with_no_events_is_not_found() =>
        Assert.Throws<NotFoundException>(() => When(Given(), Fields(name: Text("x"))));

    // ---- expected version (If-Match) ----

    [Fact]
    public void A_change_expecting_the_current_version_is_decided()
    {
        var events = When(Given(RegisteredCpu(), new InstanceRenamed(InstanceId, "b")), Fields(name: Text("c")),
            expected: ExpectedVersion.OneOf(2));

        Assert.Equal([new InstanceRenamed(InstanceId, "c")], events);
    }

    [Fact]
    public void A_change_expecting_an_older_version_fails_its_precondition_and_decides_nothing()
    {
        var e = Assert.Throws<PreconditionFailedException>(() =>
            When(Given(RegisteredCpu(), new InstanceRenamed(InstanceId, "b")), Fields(name: Text("c")), expected: ExpectedVersion.OneOf(1)));

        Assert.Equal("Precondition failed: the instance was modified (current version 2).", e.Message);
        Assert.Equal(2, e.CurrentVersion);
    }

    [Fact]
    public void A_change_expecting_one_of_several_versions_is_decided_when_one_is_current() =>
        Assert.Single(When(Given(RegisteredCpu()), Fields(name: Text("c")), expected: ExpectedVersion.OneOf(4, 1, 7)));

    [Fact]
    public void A_change_expecting_any_version_is_decided() =>
        Assert.Single(When(Given(RegisteredCpu(), new InstanceRenamed(InstanceId, "b")), Fields(name: Text("c")),
            expected: ExpectedVersion.Any));

    [Fact]
    public void A_change_expecting_no_version_at_all_fails_its_precondition() =>
        Assert.Throws<PreconditionFailedException>(() =>
            When(Given(RegisteredCpu()), Fields(name: Text("c")), expected: ExpectedVersion.OneOf()));

    [Fact]
    public void A_stale_change_that_would_change_nothing_still_fails_its_precondition() =>
        Assert.Throws<PreconditionFailedException>(() =>
            When(Given(RegisteredCpu(name: "a"), new InstanceRenamed(InstanceId, "b")), Fields(name: Text("b")),
                expected: ExpectedVersion.OneOf(1)));

    [Fact]
    public void A_stale_and_invalid_change_fails_its_precondition_before_the_rules() =>
        Assert.Throws<PreconditionFailedException>(() =>
            When(Given(RegisteredCpu(), new InstanceRenamed(InstanceId, "b")), Fields(gpu: Gpu(TitanV)),
                expected: ExpectedVersion.OneOf(1)));

    [Fact]
    public void Another_accounts_instance_is_not_found_before_the_precondition_is_judged() =>
        Assert.Throws<NotFoundException>(() =>
            When(Given(RegisteredCpu()), Fields(name: Text("x")), caller: SomeoneElse, expected: ExpectedVersion.OneOf(7)));

    [Fact]
    public void A_deleted_instance_is_not_found_even_when_any_version_is_expected() =>
        Assert.Throws<NotFoundException>(() =>
            When(Given(RegisteredCpu(), new InstanceDeleted(InstanceId)), Fields(name: Text("x")), expected: ExpectedVersion.Any));
}
