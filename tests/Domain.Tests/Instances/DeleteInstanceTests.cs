using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Deleting;
using static Sharedcloud.Es.Domain.Tests.Instances.InstanceScenario;

namespace Sharedcloud.Es.Domain.Tests.Instances;

public class DeleteInstanceTests
{
    private static object When(object[] given, Guid? caller = null, ExpectedVersion? expected = null) =>
        Assert.Single(DeleteInstance.Decide(new DeleteInstance(InstanceId, caller ?? Owner, expected), Fold(given)));

    [Fact]
    public void Deleting_an_instance_appends_instance_deleted() =>
        Assert.Equal(new InstanceDeleted(InstanceId), When([RegisteredCpu()]));

    [Fact]
    public void Deleting_a_changed_gpu_instance_appends_instance_deleted() =>
        Assert.Equal(new InstanceDeleted(InstanceId),
            When([RegisteredGpu(TitanV), new InstanceRenamed(InstanceId, "x"), new InstanceTypeChanged(InstanceId, InstanceType.Cpu, null)]));

    [Fact]
    public void A_deleted_instance_folds_to_no_state() =>
        Assert.Null(Fold(RegisteredCpu(), new InstanceDeleted(InstanceId)));

    [Fact]
    public void Deleting_twice_is_not_found() =>
        Assert.Throws<NotFoundException>(() => When([RegisteredCpu(), new InstanceDeleted(InstanceId)]));

    [Fact]
    public void Another_account_cannot_delete_the_instance() =>
        Assert.Throws<NotFoundException>(() => When([RegisteredCpu()], caller: SomeoneElse));

    [Fact]
    public void An_instance_with_no_events_is_not_found() =>
        Assert.Throws<NotFoundException>(() => When([]));

    [Fact]
    public void Deleting_at_the_expected_version_appends_instance_deleted() =>
        Assert.Equal(new InstanceDeleted(InstanceId),
            When([RegisteredCpu(), new InstanceRenamed(InstanceId, "x")], expected: ExpectedVersion.OneOf(2)));

    [Fact]
    public void Deleting_at_a_stale_version_fails_its_precondition()
    {
        var e = Assert.Throws<PreconditionFailedException>(() =>
            When([RegisteredCpu(), new InstanceRenamed(InstanceId, "x")], expected: ExpectedVersion.OneOf(1)));

        Assert.Equal("Precondition failed: the instance was modified (current version 2).", e.Message);
    }

    [Fact]
    public void Deleting_another_accounts_instance_is_not_found_whatever_version_is_expected() =>
        Assert.Throws<NotFoundException>(() => When([RegisteredCpu()], caller: SomeoneElse, expected: ExpectedVersion.OneOf(1)));
}
