using System.Diagnostics.CodeAnalysis;
using JasperFx.Events;
using JasperFx.Events.Aggregation;
using JasperFx.Events.Daemon;
using JasperFx.Events.Grouping;
using JasperFx.Events.Projections;
using Marten;
using Marten.Internal.Storage;
using Marten.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Sharedcloud.Es.Projections.Replay;

/// <summary>
/// A rebuild of an aggregation in one pass, for read models whose documents fit in memory: the log is read in
/// ranges with Marten's own event loader (several ranges loading at once) and folded in order through the
/// projection's own slicing and <c>DetermineActionAsync</c> (its Create/Apply/Evolve methods) into a
/// dictionary; then every document is written once by binary COPY, with the revision Marten would have given
/// it, in one transaction with the projection's progress row.
/// <para>
/// Marten's own rebuild applies each page as a batch: it loads the page's documents, applies the page and
/// upserts them, so a document that appears in forty pages is read and written forty times (the instance
/// read model: every instance in every page; daily_activity: about 320,000 writes for 232,000 documents at
/// 1,000,000 events).
/// </para>
/// <para>
/// Only used when the daemon rebuilds (<c>projections rebuild</c>, <c>events verify</c>, <c>bench seed</c>,
/// <see cref="IProjectionDaemon"/>'s RebuildProjectionAsync); a daemon catching up runs Marten's paging as
/// always. Meant for this project's projections, which have no side effects, event enrichment, soft deletes,
/// natural keys or tenants. A document that someone else writes while the rebuild runs (a rebuild stops the
/// projection's agent in its own process only) fails the rebuild, and nothing of it is written.
/// </para>
/// </summary>
public static class FoldingReplay
{
    /// <summary>
    /// What the projection's <c>ISubscriptionFactory.BuildExecution</c> returns: Marten's own execution (as
    /// <see cref="JasperFxAggregationProjectionBase{TDoc,TId,TOperations,TQuerySession}"/> builds it), which
    /// offers this replay when the daemon rebuilds.
    /// </summary>
    public static ISubscriptionExecution Execution<TDoc, TId>(
        JasperFxAggregationProjectionBase<TDoc, TId, IDocumentOperations, IQuerySession> projection,
        IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ILogger logger, ShardName shardName)
        where TDoc : notnull where TId : notnull
    {
        var session = store.OpenSession(database);
        var runner = new AggregationRunner<TDoc, TId, IDocumentOperations, IQuerySession>(
            store, database, projection, SliceBehavior.Preprocess, projection.BuildSlicer(session), logger);
        var marten = new GroupedProjectionExecution(shardName, runner, logger) { Disposables = [session] };
        return new ReplayingExecution(marten, () => new Executor<TDoc, TId>(projection, store, database, shardName, logger));
    }

    /// <summary>Marten's execution, but with a replay executor to offer when it rebuilds.</summary>
    private sealed class ReplayingExecution(ISubscriptionExecution marten, Func<IReplayExecutor> replay) : ISubscriptionExecution
    {
        public ShardName ShardName => marten.ShardName;

        public ShardExecutionMode Mode { get => marten.Mode; set => marten.Mode = value; }

        public bool TryBuildReplayExecutor([NotNullWhen(true)] out IReplayExecutor? executor)
        {
            // The daemon also asks a continuous agent that starts at sequence 0; that one pages as usual.
            executor = Mode == ShardExecutionMode.Rebuild ? replay() : null;
            return executor is not null;
        }

        public ValueTask EnqueueAsync(EventPage page, ISubscriptionAgent subscriptionAgent) => marten.EnqueueAsync(page, subscriptionAgent);
        public Task StopAndDrainAsync(CancellationToken token) => marten.StopAndDrainAsync(token);
        public Task HardStopAsync() => marten.HardStopAsync();
        public Task ProcessImmediatelyAsync(SubscriptionAgent subscriptionAgent, EventPage events, CancellationToken cancellation) =>
            marten.ProcessImmediatelyAsync(subscriptionAgent, events, cancellation);
        public Task ProcessRangeAsync(EventRange range) => marten.ProcessRangeAsync(range);
        public bool TryGetAggregateCache<TCacheId, TCacheDoc>([NotNullWhen(true)] out IAggregateCaching<TCacheId, TCacheDoc>? caching) =>
            marten.TryGetAggregateCache(out caching);
        public Task CompactCachesAsync() => marten.CompactCachesAsync();
        public ValueTask DisposeAsync() => marten.DisposeAsync();
    }

    private sealed class Executor<TDoc, TId>(
        JasperFxAggregationProjectionBase<TDoc, TId, IDocumentOperations, IQuerySession> projection,
        IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ShardName shardName, ILogger logger)
        : IReplayExecutor where TDoc : notnull where TId : notnull
    {
        private IAggregationProjection<TDoc, TId, IDocumentOperations, IQuerySession> Aggregation => projection;

        /// <summary>Pages of events loading at once: one per core, at least two (one loads while one is folded).</summary>
        private static readonly int LoadsAtOnce = Math.Clamp(Environment.ProcessorCount, 2, 4);

        /// <summary>A folded document and its revision (mt_version), as Marten's projection storage would set it.</summary>
        private record struct Folded(TDoc Document, long Revision);

        public async Task StartAsync(SubscriptionExecutionRequest request, ISubscriptionController controller, CancellationToken cancellation)
        {
            var ceiling = request.StartingHighWater ?? request.Runtime.HighWaterMark();
            logger.LogInformation("Folding {Shard} over events {Floor} to {Ceiling} in memory", shardName.Identity, request.Floor, ceiling);
            var documents = await FoldAsync(request, (controller as ISubscriptionAgent)?.Metrics, ceiling, cancellation);
            await WriteAsync(documents, ceiling, cancellation);
            logger.LogInformation("Folded {Shard}: {Documents} documents written", shardName.Identity, documents.Count);
            await controller.MarkSuccessAsync(ceiling);
        }

        private async Task<Dictionary<TId, Folded>> FoldAsync(
            SubscriptionExecutionRequest request, ISubscriptionMetrics? metrics, long ceiling, CancellationToken cancellation)
        {
            await using var session = store.OpenSession(database);
            var storage = await session.FetchProjectionStorageAsync<TDoc, TId>(session.TenantId, cancellation);
            var slicer = projection.BuildSlicer(session);
            var documents = new Dictionary<TId, Folded>();

            // The log in fixed ranges of sequence numbers, loaded by several loaders at once (a load is mostly
            // deserialisation, on one core) and folded in order as they arrive. A loader runs one load at a time.
            var size = Aggregation.Options.BatchSize;
            var loaders = new IEventLoader[LoadsAtOnce];
            for (var n = 0; n < loaders.Length; n++)
                loaders[n] = store.BuildEventLoader(database, logger, projection, Aggregation.Options, shardName);
            var range = 0L;
            var loading = new Queue<Task<EventPage>>();
            void LoadNext()
            {
                var floor = request.Floor + range * size;
                if (floor >= ceiling) return;
                loading.Enqueue(loaders[range++ % loaders.Length].LoadAsync(new EventRequest
                {
                    Floor = floor, HighWater = Math.Min(floor + size, ceiling), BatchSize = size, Name = shardName,
                    ErrorOptions = request.ErrorHandling, Runtime = request.Runtime, Metrics = metrics!,
                }, cancellation));
            }

            for (var n = 0; n < loaders.Length; n++) LoadNext();
            var folded = 0L;
            try
            {
                while (loading.TryDequeue(out var load))
                {
                    var page = await load;
                    LoadNext(); // on the loader that has just finished
                    foreach (var group in (await slicer.SliceAsync(page)).OfType<SliceGroup<TDoc, TId>>())
                    {
                        if (group.TenantId != storage.TenantId)
                            throw new NotSupportedException($"{shardName.Identity}: the folding rebuild has one tenant, not '{group.TenantId}'.");
                        foreach (var slice in group.Slices)
                            await ApplyAsync(documents, session, storage, slice, cancellation);
                    }
                    // How far the fold is, for whoever watches the daemon (the rebuild command's progress bars).
                    if (request.Runtime is IProjectionDaemon daemon)
                        await daemon.Tracker.PublishAsync(new ShardState(shardName, Math.Min(request.Floor + ++folded * size, ceiling)));
                }
            }
            finally
            {
                // Never leave a load running or its failure unobserved.
                while (loading.TryDequeue(out var load)) await load.ContinueWith(_ => { }, TaskScheduler.Default);
            }
            return documents;
        }

        /// <summary>One slice of a page, as Marten's AggregationRunner applies it (without side effects, soft deletes or archiving).</summary>
        private async ValueTask ApplyAsync(
            Dictionary<TId, Folded> documents, IDocumentOperations session, IProjectionStorage<TDoc, TId> storage,
            EventSlice<TDoc, TId> slice, CancellationToken cancellation)
        {
            var events = slice.Events();
            if (projection.MatchesAnyDeleteType(events))
            {
                documents.Remove(slice.Id);
                return;
            }
            var snapshot = documents.TryGetValue(slice.Id, out var folded) ? folded.Document : default;
            var (document, action) = await projection.DetermineActionAsync(session, snapshot, slice.Id, storage, events, cancellation);
            switch (action)
            {
                case ActionType.Store or ActionType.UnDeleteAndStore:
                    var (last, stored) = Aggregation.TryApplyMetadata(events, document, slice.Id, storage);
                    // ProjectionStorage.StoreProjection: a stream's version, or for documents across streams the sequence.
                    documents[slice.Id] = new Folded(stored!, Aggregation.Scope == AggregationScope.SingleStream ? last!.Version : last!.Sequence);
                    break;
                case ActionType.Delete or ActionType.HardDelete or ActionType.StoreThenSoftDelete:
                    documents.Remove(slice.Id);
                    break;
            }
        }

        /// <summary>
        /// The documents and the progress row, in one transaction: a failed rebuild leaves neither. Marten's bulk
        /// loader writes the rows into a temporary table (by binary COPY), their revisions go by a second COPY
        /// into another, and one INSERT joins them into the document table.
        /// </summary>
        private async Task WriteAsync(Dictionary<TId, Folded> documents, long ceiling, CancellationToken cancellation)
        {
            var marten = (DocumentStore)store;
            var martenDatabase = (IMartenDatabase)database;
            await martenDatabase.EnsureStorageExistsAsync(typeof(TDoc), cancellation);
            var provider = (MartenDocumentProvider<TDoc>)martenDatabase.Providers.StorageFor<TDoc>();
            var loader = provider.BulkLoader;
            var table = provider.QueryOnly.TableName;
            var temp = table.Name + "_temp"; // as the loader names it

            await using var connection = martenDatabase.CreateConnection();
            await connection.OpenAsync(cancellation);
            await ExecuteAsync(connection, null, "discard temp"); // pooled connections are not reset
            await using (var transaction = await connection.BeginTransactionAsync(cancellation))
            {
                await ExecuteAsync(connection, transaction,
                    $"{loader.CreateTempTableForCopying()}; create temporary table mt_folded_revision as select id, mt_version from {table.QualifiedName} limit 0");
                await loader.LoadIntoTempTableAsync(marten.Tenancy.Default, marten.Options.Serializer(), connection,
                    documents.Values.Select(f => f.Document), cancellation);
                await using (var copy = await connection.BeginBinaryImportAsync("copy mt_folded_revision (id, mt_version) from stdin binary", cancellation))
                {
                    foreach (var (id, folded) in documents)
                    {
                        await copy.StartRowAsync(cancellation);
                        await copy.WriteAsync(id, cancellation);
                        await copy.WriteAsync(folded.Revision, cancellation);
                    }
                    await copy.CompleteAsync(cancellation);
                }
                // The rows move with their revisions; the copy skips keys that are there already (someone else wrote one).
                var columns = await ColumnsAsync(connection, transaction, table.QualifiedName);
                var inserted = await ExecuteAsync(connection, transaction,
                    $"""
                     insert into {table.QualifiedName} ({string.Join(", ", columns)})
                     select {string.Join(", ", columns.Select(c => c == "mt_version" ? "r.mt_version" : "t." + c))}
                     from {temp} t join mt_folded_revision r on r.id = t.id
                     on conflict do nothing
                     """);
                if (inserted != documents.Count)
                    throw new InvalidOperationException(
                        $"{shardName.Identity}: {documents.Count - inserted} of {documents.Count} documents were written by someone else while the rebuild ran; nothing was written. Stop the other writers and rebuild again.");
                await ExecuteAsync(connection, transaction,
                    $"""
                     insert into {marten.Options.Events.DatabaseSchemaName}.mt_event_progression (name, last_seq_id, last_updated)
                     values ($1, $2, transaction_timestamp())
                     on conflict (name) do update set last_seq_id = excluded.last_seq_id, last_updated = excluded.last_updated
                     """, shardName.Identity, ceiling);
                await transaction.CommitAsync(cancellation);
            }
            await ExecuteAsync(connection, null, "discard temp");
        }

        private static async Task<List<string>> ColumnsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table)
        {
            await using var command = new NpgsqlCommand(
                "select quote_ident(attname) from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum",
                connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = table });
            var columns = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) columns.Add(reader.GetString(0));
            return columns;
        }

        private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object[] parameters)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            foreach (var value in parameters) command.Parameters.Add(new NpgsqlParameter { Value = value });
            return await command.ExecuteNonQueryAsync();
        }
    }
}
