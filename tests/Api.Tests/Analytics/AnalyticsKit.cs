using Npgsql;
using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Analytics;

/// <summary>Helpers for the analytics read models, which the async daemon builds after the writes.</summary>
public static class AnalyticsKit
{
    public const string MarketplaceUrl = "/api/v1/analytics/marketplace/";
    public const string ActivityUrl = "/api/v1/analytics/activity/";
    public const string LagHeader = "X-Projection-Lag";
    public const string PositionHeader = "X-Projection-Position";

    public static string PriceHistory(string instance) => $"/api/v1/instances/{instance}/price-history/";

    public static long Lag(this Reply reply) => long.Parse(reply.Headers.GetValues(LagHeader).Single());

    public static long Position(this Reply reply) => long.Parse(reply.Headers.GetValues(PositionHeader).Single());

    /// <summary>
    /// GETs <paramref name="url"/> until its projection has caught up with every event written so far
    /// (<c>X-Projection-Lag: 0</c>), within 30 s, and returns that answer.
    /// </summary>
    public static async Task<Reply> CaughtUpAsync(this ApiClient client, string url)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var reply = (await client.GetAsync(url)).EnsureStatus(200);
            if (reply.Lag() == 0) return reply;
            if (DateTime.UtcNow > deadline) Assert.Fail($"{url} still {reply.Lag()} behind after 30 s");
            await Task.Delay(100);
        }
    }

    /// <summary>Every stored document of the analytics read models, as (table, id, JSON) in a fixed order.</summary>
    public static async Task<List<string>> AnalyticsDocumentsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var rows = new List<string>();
        foreach (var table in new[] { "mt_doc_market_listing", "mt_doc_pricehistory", "mt_doc_dailyactivity", "mt_doc_daily_billing" })
        {
            // With the revision Marten keeps beside each document (the last event's sequence), which a rebuild must reproduce too.
            await using var command = new NpgsqlCommand(
                $"select id::text, data::text, mt_version from sharedcloud.{table} order by id::text", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add($"{table} {reader.GetString(0)} {reader.GetString(1)} revision {reader.GetInt64(2)}");
        }
        return rows;
    }
}
