using Sharedcloud.Es.Domain.Instances;
using static Sharedcloud.Es.Domain.Tests.Instances.InstanceScenario;

namespace Sharedcloud.Es.Domain.Tests.Instances;

/// <summary>The one fold of an instance's events (<see cref="Instance.Evolve"/>): what the store keeps, and what writes answer.</summary>
public class InstanceFoldTests
{
    private static readonly Guid Crawler = Guid.Parse("24b3a0f8-c405-4928-954f-d5c93273f88a");
    private const string CrawlerPath = "sharedcloud/web-crawling-python36:latest";

    [Fact]
    public void A_registration_makes_a_stopped_offline_instance_at_version_1_created_and_updated_at_its_time()
    {
        var state = Fold(RegisteredGpu(TeslaK80, name: "rig", askPrice: 1.5m))!;

        Assert.Equal(new Instance
        {
            Id = InstanceId, AccountId = Owner, Name = "rig", Type = InstanceType.Gpu, GpuId = TeslaK80, GpuName = "Nvidia Tesla K80 24GB",
            AskPrice = 1.5m, MaxNumParallelJobs = 1, Status = InstanceStatus.NotAvailable, IsOnline = false, LastConnection = null,
            DownloadedImages = state.DownloadedImages, CreatedAt = Start, UpdatedAt = Start, Version = 1,
        }, state);
        Assert.Empty(state.DownloadedImages);
    }

    [Fact]
    public void Every_event_counts_one_version_and_every_edit_moves_updated_at()
    {
        var state = Fold(RegisteredCpu(), new InstanceRenamed(InstanceId, "b"), new InstancePriceChanged(InstanceId, 0.5m),
            new InstanceParallelismChanged(InstanceId, 4), new InstanceStarted(InstanceId),
            new InstanceImageAdded(InstanceId, Crawler, CrawlerPath))!;

        Assert.Equal(6, state.Version);
        Assert.Equal(Start.AddMinutes(5), state.UpdatedAt);
        Assert.Equal(Start, state.CreatedAt);
        Assert.Equal(("b", 0.5m, 4, InstanceStatus.Available), (state.Name, state.AskPrice, state.MaxNumParallelJobs, state.Status));
        Assert.Equal([CrawlerPath], state.DownloadedImages);
    }

    [Fact]
    public void Presence_is_a_version_but_not_an_edit()
    {
        var online = Fold(RegisteredCpu(), new InstanceCameOnline(InstanceId, Start.AddSeconds(30)))!;
        Assert.Equal((true, Start.AddSeconds(30), Start, 2L), (online.IsOnline, online.LastConnection, online.UpdatedAt, online.Version));

        var offline = Fold(RegisteredCpu(), new InstanceCameOnline(InstanceId, Start.AddSeconds(30)),
            new InstanceWentOffline(InstanceId, Start.AddSeconds(45)))!;
        Assert.Equal((false, Start.AddSeconds(45), Start, 3L), (offline.IsOnline, offline.LastConnection, offline.UpdatedAt, offline.Version));
    }

    [Fact]
    public void A_type_or_gpu_change_names_the_new_gpu_and_a_cpu_has_none()
    {
        var moved = Fold(RegisteredGpu(TitanV), new InstanceGpuChanged(InstanceId, TeslaK80))!;
        Assert.Equal((TeslaK80, "Nvidia Tesla K80 24GB"), (moved.GpuId, moved.GpuName));

        var cpu = Fold(RegisteredGpu(TitanV), new InstanceTypeChanged(InstanceId, InstanceType.Cpu, null))!;
        Assert.Equal((InstanceType.Cpu, (Guid?)null, (string?)null), (cpu.Type, cpu.GpuId, cpu.GpuName));
    }

    [Fact]
    public void A_removed_image_leaves_the_others_in_order()
    {
        const string other = "sharedcloud/other:latest";
        var state = Fold(RegisteredCpu(), new InstanceImageAdded(InstanceId, Crawler, CrawlerPath),
            new InstanceImageAdded(InstanceId, Guid.NewGuid(), other), new InstanceImageAdded(InstanceId, Guid.NewGuid(), "c"),
            new InstanceImageRemoved(InstanceId, Guid.NewGuid(), other))!;
        Assert.Equal([CrawlerPath, "c"], state.DownloadedImages);
    }

    [Fact]
    public void Events_before_a_registration_or_of_another_stream_change_nothing()
    {
        Assert.Null(Fold(new InstanceRenamed(InstanceId, "x")));
        var state = Fold(RegisteredCpu())!;
        Assert.Same(state, Instance.Evolve(state, new Sharedcloud.Es.Domain.Accounts.AccountLoggedIn(Owner), Start));
    }

    [Fact]
    public void A_deletion_ends_the_state_and_nothing_after_it_brings_it_back()
    {
        Assert.Null(Fold(RegisteredCpu(), new InstanceDeleted(InstanceId)));
        Assert.Null(Fold(RegisteredCpu(), new InstanceDeleted(InstanceId), new InstanceRenamed(InstanceId, "x")));
    }
}
