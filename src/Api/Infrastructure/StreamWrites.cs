using System.Globalization;
using JasperFx.Events;
using Marten;
using Npgsql;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Domain.Common;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>What a command decides on its stream's current state: the events to append (none: nothing changes).</summary>
/// <param name="session">The write's session, for what a decision must do beside its stream (read or write other documents).</param>
public delegate ValueTask<IReadOnlyList<object>> Decision<in TState>(TState? state, IDocumentSession session);

/// <summary>
/// The write path of every command on a stream. In one transaction: take the stream's row lock and load its current
/// state (the inline document: Marten's FetchForExclusiveWriting, one round trip with the BEGIN), decide (the domain's pure function,
/// which answers 404 and 412 from that state), append, update the inline documents and commit; then answer with the
/// state the events produced, folded by the domain's own <see cref="IEvolving{TSelf}.Evolve"/>, without reading it back.
/// Writers of one stream queue on its lock, so no update is lost. A writer waits for a lock at most
/// <see cref="WriteOptions.LockTimeout"/> per attempt (PostgreSQL's lock_timeout on the write path's connections,
/// <see cref="WriteConnections"/>); an attempt that times out or loses a race starts over on the new
/// state, and after <see cref="MaxAttempts"/> the client gets 409 with nothing written.
/// </summary>
public sealed class StreamWrites(AuditedSessions sessions)
{
    public const int MaxAttempts = 5;

    public const string ConflictDetail = "The object was changed by another request at the same time. Please retry.";

    /// <summary>Decides a command on stream <paramref name="id"/>; returns the state after it (null: the stream's object is gone).</summary>
    public Task<TState?> DecideAsync<TState>(Guid id, Func<TState?, IReadOnlyList<object>> decide, CancellationToken ct)
        where TState : class, IEvolving<TState> =>
        DecideAsync<TState>(id, (state, _) => ValueTask.FromResult(decide(state)), ct);

    /// <inheritdoc cref="DecideAsync{TState}(Guid, Func{TState, IReadOnlyList{object}}, CancellationToken)"/>
    public Task<TState?> DecideAsync<TState>(Guid id, Decision<TState> decide, CancellationToken ct)
        where TState : class, IEvolving<TState> =>
        InTransactionAsync(async session =>
        {
            var stream = await AppendDecidedAsync(session, id, decide, ct);
            if (stream.Events.Count == 0 && !session.PendingChanges.Operations().Any()) return stream.Aggregate;
            await session.SaveChangesAsync(ct);
            return Fold(stream.Aggregate, stream.Events); // the state after the events, from their stored times
        }, ct);

    /// <summary>
    /// Starts stream <paramref name="id"/> with <paramref name="events"/>; <paramref name="prepare"/> adds what must
    /// commit with them. Returns the new state.
    /// </summary>
    public Task<TState> StartAsync<TState>(Guid id, IReadOnlyList<object> events, Action<IDocumentSession> prepare,
        CancellationToken ct) where TState : class, IEvolving<TState> =>
        InTransactionAsync(async session =>
        {
            prepare(session);
            var stream = session.Events.StartStream<TState>(id, events);
            await session.SaveChangesAsync(ct);
            return Fold<TState>(null, stream.Events)!;
        }, ct);

    /// <summary>
    /// The load, decision and append of a write, in a session whose owner commits it (a Wolverine handler's, whose
    /// transaction also carries its outgoing messages).
    /// </summary>
    public static async Task<IEventStream<TState>> AppendDecidedAsync<TState>(IDocumentSession session, Guid id,
        Decision<TState> decide, CancellationToken ct) where TState : class
    {
        var stream = await session.Events.FetchForExclusiveWriting<TState>(id, ct);
        var events = await decide(stream.Aggregate, session);
        if (events.Count == 0) return stream;
        stream.AppendMany(events);
        if (stream.Aggregate is IHasParty party) Parties.Involve(stream.Events, party.PartyId);
        return stream;
    }

    /// <summary>
    /// Locks and loads the streams <paramref name="ids"/> (their rows and inline documents) in one round trip, in id
    /// order, so that writers that lock the same streams queue instead of deadlocking: a write that decides about
    /// other streams beside its own (a payment's accounts). Returns them in that order.
    /// </summary>
    public static async Task<IReadOnlyList<IEventStream<TState>>> FetchManyForWritingAsync<TState>(IDocumentSession session,
        IEnumerable<Guid> ids, CancellationToken ct) where TState : class
    {
        var batch = session.CreateBatchQuery();
        var fetches = ids.Distinct().Order().Select(id => batch.Events.FetchForExclusiveWriting<TState>(id)).ToList();
        await batch.Execute(ct);
        return await Task.WhenAll(fetches);
    }

    /// <summary>Appends a decision's events for other streams (a cascade's), whose locks the decision took.</summary>
    public static void AppendElsewhere(IDocumentSession session, IEnumerable<Domain.Common.Elsewhere> events)
    {
        foreach (var e in events) session.Events.Append(e.StreamId, e.Event);
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> in a transaction of its own, whose lock waits are bounded, again on a conflict
    /// (a lock wait that timed out, a lost race), at most <see cref="MaxAttempts"/> times; then 409.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<IDocumentSession, Task<T>> attempt, CancellationToken ct)
    {
        for (var i = 1; ; i++)
        {
            await using var write = await sessions.BeginWriteAsync(ct);
            try
            {
                var result = await attempt(write.Session);
                await write.CompleteAsync(ct);
                return result;
            }
            catch (Exception e) when (DatabaseFaults.IsConflict(e) && i < MaxAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * i), ct);
            }
            catch (Exception e) when (DatabaseFaults.IsConflict(e))
            {
                throw new ConflictException(ConflictDetail);
            }
        }
    }

    private static TState? Fold<TState>(TState? state, IEnumerable<IEvent> events) where TState : class, IEvolving<TState>
    {
        foreach (var e in events) state = TState.Evolve(state, e.Data, e.Timestamp);
        return state;
    }
}

/// <summary>Settings of the write path (section <c>Writes</c>).</summary>
public sealed class WriteOptions
{
    public const string Section = "Writes";
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long one attempt of a write waits for a lock before it counts as a conflict.</summary>
    public TimeSpan LockTimeout { get; set; } = DefaultLockTimeout;

    /// <summary>
    /// The most connections the write path holds at once (its pool's Maximum Pool Size): writes beyond it wait for one,
    /// as they would wait for their locks. The pool is beside Marten's and the raw one, so this bounds what writes add
    /// to PostgreSQL's max_connections.
    /// </summary>
    public int MaxConnections { get; set; } = 32;
}

/// <summary>
/// The write path's connections: a pool of their own, on the store's database, whose connections start with
/// PostgreSQL's <c>lock_timeout</c> set to <see cref="WriteOptions.LockTimeout"/>. Every lock a write waits for (its
/// stream's row, a job's, an account's hold) is bounded so, with no statement of its own: a <c>SET LOCAL</c> in each
/// transaction was a round trip of its own, about a fifth of a PATCH's time in the API (bench/trace.sh).
/// </summary>
public sealed class WriteConnections(string connectionString) : IAsyncDisposable
{
    /// <summary>The connection string of the pool.</summary>
    public string ConnectionString { get; } = connectionString;

    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public static WriteConnections Create(string connectionString, WriteOptions options)
    {
        var lockTimeout = options.LockTimeout;
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true, MaxPoolSize = options.MaxConnections };
        var setting = "-c lock_timeout=" + ((long)Math.Ceiling(lockTimeout.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? setting : builder.Options + " " + setting;
        return new WriteConnections(builder.ConnectionString);
    }

    /// <summary>A session of the store on one of these connections, whose transactions Marten manages.</summary>
    public IDocumentSession OpenSession(IDocumentStore store) =>
        store.LightweightSession(Marten.Services.SessionOptions.ForConnectionString(ConnectionString));

    /// <summary>A transaction of the write path on one of these connections (<see cref="WriteTransaction"/>).</summary>
    public async Task<WriteTransaction> BeginAsync(IDocumentStore store, CancellationToken ct)
    {
        var connection = await _dataSource.OpenConnectionAsync(ct);
        try
        {
            return new WriteTransaction(store, connection, await connection.BeginTransactionAsync(ct));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Drops the pools' idle connections (after a connection was found dead).</summary>
    public void Clear()
    {
        _dataSource.Clear();
        using var connection = new NpgsqlConnection(ConnectionString);
        NpgsqlConnection.ClearPool(connection);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

/// <summary>
/// One attempt of a write: a session on a transaction of the write path's own, which commits in the round trip of the
/// session's save. Marten sends COMMIT as a round trip of its own after the batch of a save; here the session does not
/// own the transaction (<see cref="Marten.Services.SessionOptions.ForTransaction"/>), and a listener, the last thing
/// Marten runs before it builds the batch (after the inline projections and every other listener), puts a COMMIT at the
/// batch's end. PostgreSQL runs it only when every statement before it succeeded; a failed batch leaves the transaction
/// to be rolled back when this is disposed, as one that never saved. A save with a listener after this one (an outbox
/// enrolled by the decision, whose envelopes must commit with the events) gets no COMMIT in its batch:
/// <see cref="CompleteAsync"/> sends it.
/// </summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly CommitWithTheBatch _commit = new();

    internal WriteTransaction(IDocumentStore store, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction; // Npgsql sends BEGIN with the transaction's first statement
        Session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction));
        Session.Listeners.Add(_commit);
    }

    public IDocumentSession Session { get; }

    /// <summary>Commits what the attempt saved, unless its save already did. An attempt that saved nothing is rolled back.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        if (_commit.Saved && !_commit.Committed) await _transaction.CommitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        await _transaction.DisposeAsync(); // rolls back unless committed (Npgsql knows from the server's status)
        await _connection.DisposeAsync();
    }

    private sealed class CommitWithTheBatch : DocumentSessionListenerBase
    {
        public bool Saved { get; private set; }
        public bool Committed { get; private set; }

        public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
        {
            Saved = true;
            if (!Committed && ReferenceEquals(session.Listeners[^1], this))
            {
                session.QueueSqlCommand("commit");
                Committed = true; // once the save returns; a save that throws leaves nothing to commit
            }
            return Task.CompletedTask;
        }
    }
}
