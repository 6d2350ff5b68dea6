using Marten;

namespace Sharedcloud.Es.Api.Auditing;

/// <summary>
/// Every session opened while serving a request is stamped with that request's audit metadata,
/// so no handler can append an event that does not say who, why and where.
/// </summary>
public sealed class AuditedSessions(IDocumentStore store, IHttpContextAccessor http) : ISessionFactory
{
    public IQuerySession QuerySession() => store.QuerySession();

    public IDocumentSession OpenSession()
    {
        var session = store.LightweightSession();
        http.HttpContext?.Audit()?.Stamp(session);
        return session;
    }
}
