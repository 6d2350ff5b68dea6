using Npgsql;
using Sharedcloud.Es.Domain.Gpus;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Projections;
using Sharedcloud.Es.Projections.Analytics;

namespace Sharedcloud.Es.Api.Analytics;

/// <summary>
/// The marketplace statistics: one grouped query over the live instances' listings (the
/// <see cref="MarketListingProjection"/>), per instance type and per GPU model at once
/// (<c>grouping sets</c>). Its cost grows with the number of live instances, not with the history.
/// </summary>
public sealed class MarketStatisticsReader(NpgsqlDataSource dataSource)
{
    private const string Sql = $"""
        with listing as (
            select (data ->> 'type')::int as type, (data ->> 'gpu_id')::uuid as gpu,
                   (data ->> 'available')::boolean as available, (data ->> 'ask_price')::numeric as price
            from {MartenConfiguration.Schema}.{AnalyticsProjections.MarketListingTable})
        select grouping(type) = 0, type, gpu, count(*)::int, (count(*) filter (where available))::int,
               min(price), sum(price), max(price)
        from listing
        group by grouping sets ((type), (gpu))
        """;

    public async Task<IReadOnlyList<GroupStatistics>> ReadAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Sql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var groups = new List<GroupStatistics>();
        while (await reader.ReadAsync(ct))
        {
            var byType = reader.GetBoolean(0);
            if (!byType && reader.IsDBNull(2)) continue; // the CPU instances, in the per-GPU set
            var count = reader.GetInt32(3);
            var average = Normalize(Math.Round(reader.GetDecimal(6) / count, 6, MidpointRounding.AwayFromZero));
            var gpu = byType ? (Guid?)null : reader.GetGuid(2);
            groups.Add(new GroupStatistics(
                byType ? (InstanceType)reader.GetInt32(1) : null,
                gpu,
                gpu is { } id ? GpuCatalog.Find(id)?.Name ?? id.ToString() : null,
                count, reader.GetInt32(4), Normalize(reader.GetDecimal(5)), average, Normalize(reader.GetDecimal(7))));
        }
        return groups;
    }

    /// <summary>Without trailing zeros (0.250000 is written 0.25).</summary>
    private static decimal Normalize(decimal value) => value / 1.0000000000000000000000000000m;
}
