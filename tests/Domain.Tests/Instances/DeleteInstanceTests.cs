using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Deleting;
using static Sharedcloud.Es.Domain.Tests.Instances.InstanceScenario;

namespace Sharedcloud.Es.Domain.Tests.Instances;

public class DeleteInstanceTests
{
    private static InstanceDeleted When(object[] given, Guid? caller = null) =>
        DeleteInstance.Decide(new DeleteInstance(InstanceId, caller ?? Owner), Fold(given));

    [Fact]
    public void Deleting_an_instance_appends_instance_deleted() =>
        Assert.Equal(new InstanceDeleted(InstanceId), When([RegisteredCpu()]));

    [Fact]
    public void Deleting_a_changed_gpu_instance_appends_instance_deleted() =>
        Assert.Equal(new InstanceDeleted(InstanceId),
            When([RegisteredGpu(TitanV), new InstanceRenamed(InstanceId, "x"), new InstanceTypeChanged(InstanceId, InstanceType.Cpu, null)]));

    [Fact]
    public void A_deleted_instance_is_folded_as_deleted_and_invisible_to_its_owner()
    {
        var state = Fold(RegisteredCpu(), new InstanceDeleted(InstanceId))!;

        Assert.True(state.IsDeleted);
        Assert.False(state.IsVisibleTo(Owner));
    }

    [Fact]
    public void Deleting_twice_is_not_found() =>
        Assert.Throws<NotFoundException>(() => When([RegisteredCpu(), new InstanceDeleted(InstanceId)]));

    [Fact]
    public void Another_account_cannot_delete_the_instance() =>
        Assert.Throws<NotFoundException>(() => When([RegisteredCpu()], caller: SomeoneElse));

    [Fact]
    public void An_instance_with_no_events_is_not_found() =>
        Assert.Throws<NotFoundException>(() => When([]));
}
