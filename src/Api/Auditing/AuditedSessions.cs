using Marten;
using Sharedcloud.Es.Api.Infrastructure;

namespace Sharedcloud.Es.Api.Auditing;

/// <summary>
/// Every session opened while serving a request is stamped with that request's audit metadata,
/// so no handler can append an event that does not say who, why and where.
/// </summary>
/// <remarks>
/// The sessions are the write path's (<see cref="StreamWrites"/>): their connections come from
/// <see cref="WriteConnections"/>, whose lock waits are bounded.
/// </remarks>
public sealed class AuditedSessions(IDocumentStore store, IHttpContextAccessor http, WriteConnections connections) : ISessionFactory
{
    public IQuerySession QuerySession() => store.QuerySession();

    public IDocumentSession OpenSession()
    {
        var session = connections.OpenSession(store);
        http.HttpContext?.Audit()?.Stamp(session);
        return session;
    }

    /// <summary>A transaction of the write path (<see cref="StreamWrites"/>), its session stamped as any other.</summary>
    public async Task<WriteTransaction> BeginWriteAsync(CancellationToken ct)
    {
        var write = await connections.BeginAsync(store, ct);
        http.HttpContext?.Audit()?.Stamp(write.Session);
        return write;
    }
}
