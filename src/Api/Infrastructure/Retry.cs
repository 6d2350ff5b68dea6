using JasperFx;
using Marten;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// Concurrency for writes: each attempt reads the stream in a fresh session and appends at the
/// version it read. Handlers that expect contention take the stream's row lock while they decide
/// (Marten's FetchForExclusiveWriting), so writers of one stream queue instead of failing; any
/// race that still gets through starts over on the new state. After a bounded number of lost
/// races the client gets 409 and nothing is written.
/// </summary>
public static class Retry
{
    public const int MaxAttempts = 5;

    public static async Task<T> OnConflict<T>(ISessionFactory sessions, Func<IDocumentSession, Task<T>> attempt)
    {
        for (var i = 1; ; i++)
        {
            await using var session = sessions.OpenSession();
            try
            {
                return await attempt(session);
            }
            catch (ConcurrencyException) when (i < MaxAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * i));
            }
            catch (ConcurrencyException)
            {
                throw new ConflictException("The object was changed by another request at the same time. Please retry.");
            }
        }
    }
}
