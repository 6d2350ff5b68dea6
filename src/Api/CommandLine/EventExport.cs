using System.Buffers;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.CommandLine;

/// <summary>
/// Writes the event log as NDJSON, one event a line, in sequence order, streamed from mt_events
/// row by row (never the whole log in memory). <c>data</c> is the stored JSON as it is; secrets
/// never enter events (password hashes and key digests live in the credentials documents).
/// </summary>
public sealed class EventExport(NpgsqlDataSource dataSource)
{
    private const string Schema = MartenConfiguration.Schema;
    private const int ChunkBytes = 1 << 20;

    public sealed record Filter(DateTimeOffset? Since, DateTimeOffset? Until, IReadOnlyList<string> Types);

    /// <summary>How many events the filter selects (for the progress bar; a scan of the log).</summary>
    public async Task<long> CountAsync(Filter filter, CancellationToken ct)
    {
        await using var command = Select(filter, "count(*)", orderBySequence: false);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <returns>The number of events written.</returns>
    public async Task<long> WriteAsync(Filter filter, Stream output, IProgress<long> progress, CancellationToken ct)
    {
        await using var command = Select(filter,
            $"seq_id, stream_id, version, type, timestamp, user_name, headers ->> '{RequestAudit.ActorIdHeader}', correlation_id, data",
            orderBySequence: true);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        // Lines are gathered in memory and handed to the stream a megabyte at a time (a write per line
        // went to the kernel often enough to cost a fifth of the export's time).
        var buffer = new ArrayBufferWriter<byte>(ChunkBytes + (64 << 10));
        await using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        long count = 0;
        while (await reader.ReadAsync(ct))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", reader.GetInt64(0));
            json.WriteString("stream", reader.GetGuid(1));
            json.WriteNumber("version", reader.GetInt64(2));
            json.WriteString("type", reader.GetString(3));
            json.WriteString("timestamp", reader.GetFieldValue<DateTime>(4));
            var username = reader.IsDBNull(5) ? null : reader.GetString(5);
            var actorId = reader.IsDBNull(6) ? null : reader.GetString(6);
            if (username is null && actorId is null) json.WriteNull("actor");
            else
            {
                json.WriteStartObject("actor");
                if (actorId is null) json.WriteNull("uuid");
                else json.WriteString("uuid", actorId);
                if (username is null) json.WriteNull("username");
                else json.WriteString("username", username);
                json.WriteEndObject();
            }
            if (reader.IsDBNull(7)) json.WriteNull("correlation_id");
            else json.WriteString("correlation_id", reader.GetString(7));
            json.WritePropertyName("data");
            // jsonb's UTF-8 bytes as they come from the server: no string, no transcoding.
            json.WriteRawValue(reader.GetFieldValue<byte[]>(8), skipInputValidation: true);
            json.WriteEndObject();
            json.Flush();
            json.Reset(buffer); // one JSON document a line: no separator before the next
            buffer.Write("\n"u8);
            if (buffer.WrittenCount >= ChunkBytes)
            {
                await output.WriteAsync(buffer.WrittenMemory, ct);
                buffer.ResetWrittenCount();
            }
            if (++count % 4096 == 0) progress.Report(count);
        }
        await output.WriteAsync(buffer.WrittenMemory, ct);
        progress.Report(count);
        return count;
    }

    private NpgsqlCommand Select(Filter filter, string columns, bool orderBySequence)
    {
        var command = dataSource.CreateCommand();
        command.CommandTimeout = 0; // an export of a long history takes as long as it takes
        var where = new List<string>();
        if (filter.Since is { } since)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = since.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            where.Add($"timestamp >= ${command.Parameters.Count}");
        }
        if (filter.Until is { } until)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = until.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            where.Add($"timestamp < ${command.Parameters.Count}");
        }
        if (filter.Types.Count > 0)
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = filter.Types.Distinct().ToArray() });
            where.Add($"type = any(${command.Parameters.Count})");
        }
        command.CommandText = $"select {columns} from {Schema}.mt_events" +
                              (where.Count > 0 ? " where " + string.Join(" and ", where) : "") +
                              (orderBySequence ? " order by seq_id" : "");
        return command;
    }
}
