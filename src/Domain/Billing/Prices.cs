namespace Sharedcloud.Es.Domain.Billing;

/// <summary>
/// The marketplace's money rules. Prices are per minute; the platform's fee is 20% on top of the provider's ask, so a
/// consumer pays <see cref="ConsumerPrice"/> and the provider earns the ask. Amounts are rounded to 3 decimals, half
/// away from zero, and the platform keeps the difference, so consumer = provider + platform to the thousandth.
/// </summary>
public static class Prices
{
    public const decimal FeeRate = 0.2m;
    public const int Decimals = 3;

    /// <summary>What a consumer pays a minute on an instance that asks <paramref name="ask"/> (exact: matching compares bids with it).</summary>
    public static decimal ConsumerPrice(decimal ask) => ask * (1 + FeeRate);

    /// <summary>The consumer price as offers show it.</summary>
    public static decimal Shown(decimal ask) => Round(ConsumerPrice(ask));

    /// <summary>What a job that ran <paramref name="seconds"/> on an instance asking <paramref name="ask"/> costs, earns and leaves to the platform.</summary>
    public static Charge ForJob(long seconds, decimal ask)
    {
        var cost = Round(seconds * ConsumerPrice(ask) / 60);
        var earnings = Round(seconds * ask / 60);
        return new Charge(cost, earnings, cost - earnings);
    }

    /// <summary>
    /// To 3 decimals, half away from zero, without trailing zeros: 1.5 x 1.2 is 1.80 to decimal, and would be written so
    /// (offers show 1.8, as every other number of the API).
    /// </summary>
    public static decimal Round(decimal amount) =>
        Math.Round(amount, Decimals, MidpointRounding.AwayFromZero) / 1.000000000000000000000000000000000m;
}

/// <summary>A finished job's money: the consumer's cost, the provider's earnings and the platform's fee (cost - earnings).</summary>
public sealed record Charge(decimal Cost, decimal Earnings, decimal Fee)
{
    public static Charge None { get; } = new(0, 0, 0);
}
