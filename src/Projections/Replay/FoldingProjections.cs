using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using JasperFx.Events.Subscriptions;
using Marten;
using Marten.Events.Aggregation;
using Marten.Events.Projections;
using Microsoft.Extensions.Logging;

namespace Sharedcloud.Es.Projections.Replay;

/// <summary>A single-stream projection whose rebuilds fold the log in memory and write each document once (<see cref="FoldingReplay"/>).</summary>
public abstract class FoldingSingleStreamProjection<TDoc, TId> : SingleStreamProjection<TDoc, TId>,
    ISubscriptionFactory<IDocumentOperations, IQuerySession>
    where TDoc : notnull where TId : notnull
{
    ISubscriptionExecution ISubscriptionFactory<IDocumentOperations, IQuerySession>.BuildExecution(
        IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ILoggerFactory loggers, ShardName shard) =>
        FoldingReplay.Execution(this, store, database, loggers.CreateLogger(GetType()), shard);

    ISubscriptionExecution ISubscriptionFactory<IDocumentOperations, IQuerySession>.BuildExecution(
        IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ILogger logger, ShardName shard) =>
        FoldingReplay.Execution(this, store, database, logger, shard);
}

/// <summary>A multi-stream projection whose rebuilds fold the log in memory and write each document once (<see cref="FoldingReplay"/>).</summary>
public abstract class FoldingMultiStreamProjection<TDoc, TId> : MultiStreamProjection<TDoc, TId>,
    ISubscriptionFactory<IDocumentOperations, IQuerySession>
    where TDoc : notnull where TId : notnull
{
    ISubscriptionExecution ISubscriptionFactory<IDocumentOperations, IQuerySession>.BuildExecution(
        IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ILoggerFactory loggers, ShardName shard) =>
        FoldingReplay.Execution(this, store, database, loggers.CreateLogger(GetType()), shard);

    ISubscriptionExecution ISubscriptionFactory<IDocumentOperations, IQuerySession>.BuildExecution(
        IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ILogger logger, ShardName shard) =>
        FoldingReplay.Execution(this, store, database, logger, shard);
}
