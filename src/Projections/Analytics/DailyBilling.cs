using JasperFx.Events;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Projections.Replay;

namespace Sharedcloud.Es.Projections.Analytics;

/// <summary>One account's money in one UTC day: what it spent on jobs, earned with its instances, and was credited.</summary>
public sealed class DailyBilling
{
    /// <summary><c>{account uuid}:{yyyy-MM-dd}</c>.</summary>
    public string Id { get; set; } = "";
    public Guid AccountId { get; set; }
    /// <summary>The day's first instant (UTC).</summary>
    public DateTimeOffset Day { get; set; }
    public decimal Spent { get; set; }
    public decimal Earned { get; set; }
    public decimal Credited { get; set; }
    /// <summary>Jobs the account paid for, and jobs its instances were paid for.</summary>
    public int JobsCharged { get; set; }
    public int JobsPaid { get; set; }
}

/// <summary>
/// Asynchronous, over the accounts' money events (<c>account_charged</c>, <c>account_paid</c>,
/// <c>account_credited</c>): each counts for its account on the UTC day of its timestamp, so the days
/// of an account sum to its balance.
/// </summary>
public sealed partial class DailyBillingProjection : FoldingMultiStreamProjection<DailyBilling, string>
{
    public const string ProjectionName = "daily_billing";

    public DailyBillingProjection()
    {
        Name = ProjectionName;
        CustomGrouping((_, events, grouping) =>
        {
            foreach (var e in events)
                if (e.Data is AccountCharged or AccountPaid or AccountCredited && e.Data is IAccountEvent money)
                    grouping.AddEvent(DailyActivity.IdFor(money.AccountId, Day(e)), e);
            return Task.CompletedTask;
        });
    }

    public override DailyBilling? Evolve(DailyBilling? snapshot, string id, IEvent e)
    {
        var day = snapshot ?? new DailyBilling
        {
            Id = id,
            AccountId = ((IAccountEvent)e.Data).AccountId,
            Day = new DateTimeOffset(Day(e).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        };
        switch (e.Data)
        {
            case AccountCharged x:
                day.Spent += x.Amount;
                day.JobsCharged++;
                break;
            case AccountPaid x:
                day.Earned += x.Amount;
                day.JobsPaid++;
                break;
            case AccountCredited x:
                day.Credited += x.Amount;
                break;
        }
        return day;
    }

    private static DateOnly Day(IEvent e) => DateOnly.FromDateTime(e.Timestamp.UtcDateTime);
}
