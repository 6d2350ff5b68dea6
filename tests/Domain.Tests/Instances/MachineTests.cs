using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Installing;
using Sharedcloud.Es.Domain.Instances.Operating;
using Sharedcloud.Es.Domain.Instances.Presence;
using static Sharedcloud.Es.Domain.Tests.Instances.InstanceScenario;

namespace Sharedcloud.Es.Domain.Tests.Instances;

/// <summary>The provider's machine: start/stop, images, and presence, as given/when/then.</summary>
public class MachineTests
{
    private const string Crawler = "sharedcloud/web-crawling-python36:latest";
    private static readonly Guid CrawlerId = Guid.Parse("24b3a0f8-c405-4928-954f-d5c93273f88a");
    private const string TensorflowGpu = "sharedcloud/tensorflow-gpu-python36:latest";
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly PresenceWindows Windows = PresenceWindows.Default;

    // ---- start / stop ----

    [Fact]
    public void Starting_a_new_instance_appends_instance_started()
    {
        Assert.Equal([new InstanceStarted(InstanceId)], StartInstance.Decide(new(InstanceId, Owner), Fold(RegisteredCpu())));
    }

    [Fact]
    public void Starting_a_started_instance_and_stopping_a_stopped_one_change_nothing()
    {
        Assert.Empty(StartInstance.Decide(new(InstanceId, Owner), Fold(RegisteredCpu(), new InstanceStarted(InstanceId))));
        Assert.Empty(StopInstance.Decide(new(InstanceId, Owner), Fold(RegisteredCpu())));
    }

    [Fact]
    public void Stopping_a_started_instance_appends_instance_stopped()
    {
        Assert.Equal([new InstanceStopped(InstanceId)],
            StopInstance.Decide(new(InstanceId, Owner), Fold(RegisteredCpu(), new InstanceStarted(InstanceId))));
    }

    [Fact]
    public void Another_accounts_or_a_deleted_instance_cannot_be_started_or_stopped()
    {
        Assert.Throws<NotFoundException>(() => StartInstance.Decide(new(InstanceId, SomeoneElse), Fold(RegisteredCpu())));
        Assert.Throws<NotFoundException>(() =>
            StopInstance.Decide(new(InstanceId, Owner), Fold(RegisteredCpu(), new InstanceDeleted(InstanceId))));
        Assert.Throws<NotFoundException>(() => StartInstance.Decide(new(InstanceId, Owner), Fold()));
    }

    [Fact]
    public void A_stale_if_match_refuses_start_stop_and_images_after_the_visibility_check()
    {
        var stale = ExpectedVersion.OneOf(1);
        var e = Assert.Throws<PreconditionFailedException>(() =>
            StartInstance.Decide(new(InstanceId, Owner, stale), Fold(RegisteredCpu(), new InstanceRenamed(InstanceId, "x"))));
        Assert.Equal(2, e.CurrentVersion);
        var renamed = Fold(RegisteredCpu(), new InstanceRenamed(InstanceId, "x"));
        Assert.Throws<PreconditionFailedException>(() => StopInstance.Decide(new(InstanceId, Owner, stale), renamed));
        Assert.Throws<PreconditionFailedException>(() =>
            AddImage.Decide(new(InstanceId, Owner, Field<string>.Of(Crawler), stale), renamed));
        Assert.Throws<NotFoundException>(() => StartInstance.Decide(new(InstanceId, SomeoneElse, stale), renamed));
        Assert.Equal([new InstanceStarted(InstanceId)], StartInstance.Decide(new(InstanceId, Owner, stale), Fold(RegisteredCpu())));
    }

    // ---- images ----

    private static AddImage Add(string path) => new(InstanceId, Owner, Field<string>.Of(path));
    private static DeleteImage Remove(string path) => new(InstanceId, Owner, Field<string>.Of(path));

    [Fact]
    public void Adding_a_catalog_image_appends_instance_image_added_with_its_id()
    {
        Assert.Equal([new InstanceImageAdded(InstanceId, CrawlerId, Crawler)], AddImage.Decide(Add(Crawler), Fold(RegisteredCpu())));
    }

    [Fact]
    public void Adding_an_installed_image_and_removing_a_missing_one_change_nothing()
    {
        var installed = Fold(RegisteredCpu(), new InstanceImageAdded(InstanceId, CrawlerId, Crawler));
        Assert.Empty(AddImage.Decide(Add(Crawler), installed));
        Assert.Empty(DeleteImage.Decide(Remove(Crawler), Fold(RegisteredCpu())));
    }

    [Fact]
    public void Removing_an_installed_image_appends_instance_image_removed()
    {
        var installed = Fold(RegisteredCpu(), new InstanceImageAdded(InstanceId, CrawlerId, Crawler));
        Assert.Equal([new InstanceImageRemoved(InstanceId, CrawlerId, Crawler)], DeleteImage.Decide(Remove(Crawler), installed));
        Assert.Empty(Fold(RegisteredCpu(), new InstanceImageAdded(InstanceId, CrawlerId, Crawler),
            new InstanceImageRemoved(InstanceId, CrawlerId, Crawler))!.DownloadedImages);
    }

    [Fact]
    public void An_image_must_suit_the_instance_type()
    {
        ThenRejects(() => AddImage.Decide(Add(TensorflowGpu), Fold(RegisteredCpu())), ("image_registry_path", AddImage.NeedsGpu));
        ThenRejects(() => AddImage.Decide(Add(Crawler), Fold(RegisteredGpu())), ("image_registry_path", AddImage.NeedsCpu));
        Assert.Single(AddImage.Decide(Add(TensorflowGpu), Fold(RegisteredGpu())));
    }

    [Fact]
    public void An_unknown_image_is_refused_on_add_and_delete()
    {
        const string unknown = "someone/else:latest";
        ThenRejects(() => AddImage.Decide(Add(unknown), Fold(RegisteredCpu())),
            ("image_registry_path", "Object with registry_path=someone/else:latest does not exist."));
        ThenRejects(() => DeleteImage.Decide(Remove(unknown), Fold(RegisteredCpu())),
            ("image_registry_path", "Object with registry_path=someone/else:latest does not exist."));
    }

    // ---- presence ----

    [Fact]
    public void The_first_poll_brings_the_machine_online_and_later_polls_append_nothing()
    {
        Assert.Equal([new InstanceCameOnline(InstanceId, T0)], Presence.Contact(Fold(RegisteredCpu())!, T0));
        Assert.Empty(Presence.Contact(Fold(RegisteredCpu(), new InstanceCameOnline(InstanceId, T0))!, T0.AddSeconds(5)));
    }

    [Fact]
    public void A_silence_shorter_than_the_window_changes_nothing_and_looks_again_when_it_would_end()
    {
        var online = Fold(RegisteredCpu(), new InstanceStarted(InstanceId), new InstanceCameOnline(InstanceId, T0))!;

        var (events, next) = Presence.CheckSilence(online, lastContact: T0.AddSeconds(30), now: T0.AddSeconds(60), Windows);

        Assert.Empty(events);
        Assert.Equal(T0.AddSeconds(90), next);
    }

    [Fact]
    public void A_silent_available_machine_goes_offline_then_later_off_the_market()
    {
        var online = Fold(RegisteredCpu(), new InstanceStarted(InstanceId), new InstanceCameOnline(InstanceId, T0))!;

        var (offline, next) = Presence.CheckSilence(online, lastContact: T0, now: T0.AddSeconds(61), Windows);
        Assert.Equal([new InstanceWentOffline(InstanceId, T0)], offline);
        Assert.Equal(T0.AddMinutes(10), next);

        var silent = Fold(RegisteredCpu(), new InstanceStarted(InstanceId), new InstanceCameOnline(InstanceId, T0),
            new InstanceWentOffline(InstanceId, T0))!;
        var (stopped, after) = Presence.CheckSilence(silent, lastContact: T0, now: T0.AddMinutes(10), Windows);
        Assert.Equal([new InstanceStopped(InstanceId)], stopped);
        Assert.Null(after);
    }

    [Fact]
    public void A_check_that_comes_late_decides_both_transitions_at_once()
    {
        var online = Fold(RegisteredCpu(), new InstanceStarted(InstanceId), new InstanceCameOnline(InstanceId, T0))!;

        var (events, next) = Presence.CheckSilence(online, lastContact: T0, now: T0.AddHours(1), Windows);

        Assert.Equal([new InstanceWentOffline(InstanceId, T0), new InstanceStopped(InstanceId)], events);
        Assert.Null(next);
    }

    [Fact]
    public void A_stopped_machine_only_goes_offline_and_a_deleted_one_is_left_alone()
    {
        var stoppedOnline = Fold(RegisteredCpu(), new InstanceCameOnline(InstanceId, T0))!;
        var (events, next) = Presence.CheckSilence(stoppedOnline, T0, T0.AddHours(1), Windows);
        Assert.Equal([new InstanceWentOffline(InstanceId, T0)], events);
        Assert.Null(next);

        var deleted = Fold(RegisteredCpu(), new InstanceCameOnline(InstanceId, T0), new InstanceDeleted(InstanceId));
        var (none, never) = Presence.CheckSilence(deleted, T0, T0.AddHours(1), Windows);
        Assert.Empty(none);
        Assert.Null(never);
    }
}
