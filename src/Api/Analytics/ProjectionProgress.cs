using Npgsql;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.Analytics;

/// <summary>
/// How far an asynchronous projection has got: the last event sequence number the daemon has applied
/// to it, against the highest in the event store.
/// </summary>
public readonly record struct ProjectionProgress(long Position, long HighestSequence)
{
    public const string LagHeader = "X-Projection-Lag";
    public const string PositionHeader = "X-Projection-Position";

    /// <summary>Sequence numbers not yet applied (an upper bound on events: a rolled-back append leaves a gap).</summary>
    public long Lag => Math.Max(0, HighestSequence - Position);

    public void WriteTo(HttpResponse response)
    {
        response.Headers[LagHeader] = Lag.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[PositionHeader] = Position.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Reads a projection's progress in one round trip: Marten's progression row for its shard and the
/// head of mt_events (the primary key's last entry). Read before the data, so the lag a response
/// reports is never less than the data's.
/// </summary>
public sealed class ProjectionProgressReader(NpgsqlDataSource dataSource)
{
    private const string Schema = MartenConfiguration.Schema;

    public async Task<ProjectionProgress> ReadAsync(string projection, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"select coalesce((select last_seq_id from {Schema}.mt_event_progression where name = $1), 0), " +
            $"coalesce((select max(seq_id) from {Schema}.mt_events), 0)");
        // The daemon runs each of these projections as one shard over all events, named "<projection>:All".
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection + ":All" });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new ProjectionProgress(reader.GetInt64(0), reader.GetInt64(1));
    }
}
