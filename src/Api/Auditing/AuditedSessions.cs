using Marten;
using Microsoft.Extensions.Options;
using Sharedcloud.Es.Api.Infrastructure;

namespace Sharedcloud.Es.Api.Auditing;

/// <summary>
/// Every session opened while serving a request is stamped with that request's audit metadata,
/// so no handler can append an event that does not say who, why and where.
/// </summary>
public sealed class AuditedSessions(IDocumentStore store, IHttpContextAccessor http, IOptions<WriteOptions> writes) : ISessionFactory
{
    /// <summary>How long a write waits for a stream's lock per attempt (see <see cref="Retry"/>).</summary>
    public TimeSpan LockTimeout => writes.Value.LockTimeout;

    public IQuerySession QuerySession() => store.QuerySession();

    public IDocumentSession OpenSession()
    {
        var session = store.LightweightSession();
        http.HttpContext?.Audit()?.Stamp(session);
        return session;
    }
}
