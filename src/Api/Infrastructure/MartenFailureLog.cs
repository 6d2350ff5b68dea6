using Marten;

namespace Sharedcloud.Es.Api.Infrastructure;

/// <summary>
/// The logger Marten writes its statements' failures to (it asks the container for an <c>ILogger&lt;IDocumentStore&gt;</c>),
/// with the levels an operator alerts on kept for real faults. Marten logs every failed statement at Error with its bound
/// values; here:
/// <list type="bullet">
/// <item>a statement cancelled because its request went away (the client hung up, the host is stopping) is Debug;</item>
/// <item>an outcome the API decides for the client is Information: another writer holding the object (retried, then
/// 409) and the username's unique index refusing a taken name (a field error); any other unique violation stays an
/// Error;</item>
/// <item>the bound values (events and documents: emails, password hashes, key digests) are left out of every entry
/// above Debug, unless the category logs at Debug, where a developer asked for them.</item>
/// </list>
/// Anything else (the database away, a statement timeout, a bug) stays an Error, with its SQL.
/// </summary>
public sealed partial class MartenFailureLog(ILoggerFactory factory) : ILogger<IDocumentStore>
{
    // The fields of Marten's failure entry ("Marten encountered an exception executing \n{SQL}\n{PARAMETERS}").
    private const string SqlField = "SQL", ParametersField = "PARAMETERS";
    private readonly ILogger _inner = factory.CreateLogger<IDocumentStore>();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => _inner.BeginScope(state);
    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        if (exception is not null && logLevel is >= LogLevel.Warning and <= LogLevel.Error
            && LevelOf(exception) is var lower && lower < logLevel)
            logLevel = lower;
        if (!_inner.IsEnabled(logLevel)) return;
        if (logLevel > LogLevel.Debug && !_inner.IsEnabled(LogLevel.Debug)
            && state is IReadOnlyList<KeyValuePair<string, object?>> fields && fields.Any(f => f.Key == ParametersField))
        {
            var sql = fields.FirstOrDefault(f => f.Key == SqlField).Value as string ?? "";
            StatementFailed(_inner, logLevel, sql, exception);
            return;
        }
        _inner.Log(logLevel, eventId, state, exception, formatter);
    }

    private static LogLevel LevelOf(Exception exception) => exception switch
    {
        OperationCanceledException => LogLevel.Debug,
        _ when DatabaseFaults.IsConflict(exception) || Accounts.Usernames.IsTaken(exception) => LogLevel.Information,
        _ => LogLevel.Error,
    };

    [LoggerMessage(Message = "Marten encountered an exception executing \n{SQL}\n(bound values are logged at Debug only)")]
    private static partial void StatementFailed(ILogger logger, LogLevel level, string sql, Exception? exception);
}
