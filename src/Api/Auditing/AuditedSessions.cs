using Marten;
using Sharedcloud.Es.Api.Infrastructure;

namespace Sharedcloud.Es.Api.Auditing;

/// <summary>
/// Every session opened while serving a request is stamped with that request's audit metadata,
/// so no handler can append an event that does not say who, why and where.
/// </summary>
public sealed class AuditedSessions(IDocumentStore store, IHttpContextAccessor http, WriteConnections writes) : ISessionFactory
{
    public IQuerySession QuerySession() => store.QuerySession();

    public IDocumentSession OpenSession() => Stamped(store.LightweightSession());

    /// <summary>A session for a write, on a connection whose lock waits are bounded (<see cref="WriteConnections"/>).</summary>
    public IDocumentSession OpenWriteSession() => Stamped(store.LightweightSession(Marten.Services.SessionOptions.ForConnectionString(writes.ConnectionString)));

    private IDocumentSession Stamped(IDocumentSession session)
    {
        http.HttpContext?.Audit()?.Stamp(session);
        return session;
    }
}
