using Marten;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections;
using static Sharedcloud.Es.Api.Tests.Analytics.AnalyticsKit;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Analytics;

/// <summary>GET /api/v1/analytics/activity/: the caller's events per UTC day and type.</summary>
public sealed class ActivityTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private sealed class SettableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }
        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>
    /// Events stamped on earlier days, as another writer of the store would have appended them then: a
    /// second Marten store on the same database, with the service's configuration and a clock set back.
    /// </summary>
    private async Task AppendOnDay(DateTimeOffset at, Guid owner, string userName, Guid stream, params object[] events)
    {
        var clock = new SettableClock { Now = at };
        await using var store = DocumentStore.For(opts => MartenConfiguration.Configure(opts, api.ConnectionString, clock: clock));
        await using var session = store.LightweightSession();
        session.LastModifiedBy = userName;
        if (userName != "system") session.SetHeader("actor_id", owner.ToString());
        session.SetHeader("owner_id", owner.ToString());
        session.Events.Append(stream, events);
        await session.SaveChangesAsync();
    }

    private static string Day(Reply reply, int index) => reply.Array[index]!["date"]!.GetValue<string>();

    [Fact]
    public async Task Counts_the_owners_events_per_utc_day_and_type_across_account_and_instances_whoever_acted()
    {
        var john = await api.NewAccountAsync();                                                         // registered, logged in
        var mallory = await api.NewAccountAsync();
        var johnsUuid = Guid.Parse((await john.GetAsync("/api/v1/users/account/")).Object["uuid"]!.GetValue<string>());
        var a = Uuid(await john.CreateInstanceAsync(("name", "a"), ("ask_price", "0.5")));              // registered
        var b = Uuid(await john.CreateInstanceAsync(("name", "b"), ("ask_price", "0.5")));              // registered
        (await john.SendFormAsync(HttpMethod.Patch, Url(a), ("ask_price", "0.25"))).EnsureStatus(200); // price changed
        (await john.DeleteAsync(Url(b))).EnsureStatus(204);                                             // deleted
        await mallory.CreateInstanceAsync();
        var today = (await john.GetAsync("/api/v1/audit/")).Array[^1]!["recorded_at"]!.GetValue<string>()[..10];
        // Two logins late on 2 January and one just after midnight, then the service stopping instance a (as system).
        await AppendOnDay(new DateTimeOffset(2026, 1, 2, 23, 59, 59, TimeSpan.Zero), johnsUuid, john.Username, johnsUuid,
            new AccountLoggedIn(johnsUuid), new AccountLoggedIn(johnsUuid));
        await AppendOnDay(new DateTimeOffset(2026, 1, 3, 0, 0, 0, TimeSpan.Zero), johnsUuid, john.Username, johnsUuid,
            new AccountLoggedIn(johnsUuid));
        await AppendOnDay(new DateTimeOffset(2026, 1, 3, 12, 0, 0, TimeSpan.Zero), johnsUuid, "system", Guid.Parse(a),
            new InstanceStopped(Guid.Parse(a)));

        var activity = await john.CaughtUpAsync(ActivityUrl);

        activity.Is(200, $$"""
            [{"date": "2026-01-02", "total": 2, "events": {"account_logged_in": 2} },
             {"date": "2026-01-03", "total": 2, "events": {"account_logged_in": 1, "instance_stopped": 1} },
             {"date": "{{today}}", "total": 6, "events": {"account_logged_in": 1, "account_registered": 1,
               "instance_deleted": 1, "instance_price_changed": 1, "instance_registered": 2} }]
            """);
        (await mallory.CaughtUpAsync(ActivityUrl)).Is(200, $$"""
            [{"date": "{{today}}", "total": 3, "events": {"account_logged_in": 1, "account_registered": 1, "instance_registered": 1} }]
            """);

        var since = await john.GetAsync(ActivityUrl + "?since=2026-01-03");
        Assert.Equal(["2026-01-03", today], since.Array.Select(d => d!["date"]!.GetValue<string>()));
        Assert.Equal("2026-01-02", Day(await john.GetAsync(ActivityUrl + "?until=2026-01-02"), 0));
        Assert.Single((await john.GetAsync(ActivityUrl + "?until=2026-01-02")).Array);
        var one = await john.GetAsync(ActivityUrl + "?since=2026-01-03&until=2026-01-03");
        Assert.Equal("2026-01-03", Assert.Single(one.Array)!["date"]!.GetValue<string>());
        Assert.Empty((await john.GetAsync(ActivityUrl + "?since=2026-01-04&until=2026-01-05")).EnsureStatus(200).Array);
    }

    [Fact]
    public async Task Bad_dates_are_400_with_DRF_messages_and_anonymous_is_401()
    {
        var john = await api.NewAccountAsync();
        const string format = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.";

        (await john.GetAsync(ActivityUrl + "?since=yesterday&until=2026-13-01")).IsFieldErrors(("since", [format]), ("until", [format]));
        (await john.GetAsync(ActivityUrl + "?since=27-11-2026")).IsFieldErrors(("since", [format]));
        (await john.GetAsync(ActivityUrl + "?since=2026-02-01&until=2026-01-31"))
            .IsFieldErrors(("non_field_errors", ["since must not be later than until."]));
        (await api.Anonymous().GetAsync(ActivityUrl)).EnsureStatus(401);
    }
}
