using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Abuse;

/// <summary>One log entry as a provider receives it: the formatted line, its structured fields and any exception.</summary>
public sealed record LogEntry(string Category, LogLevel Level, string EventName, string Message,
    IReadOnlyDictionary<string, object?> Fields, string? Exception)
{
    /// <summary>Everything of the entry that could reach a log sink, as text.</summary>
    public string AllText => $"{Category} {Message} {string.Join(" ", Fields.Select(f => $"{f.Key}={f.Value}"))} {Exception}";
}

/// <summary>A logger provider that keeps every entry, with scopes included in the fields.</summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;
    public void Dispose() { }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var fields = new Dictionary<string, object?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
                foreach (var (key, value) in pairs) fields[key] = value;
            var scopeIndex = 0;
            owner._scopes.ForEachScope((scope, _) => fields[$"scope{scopeIndex++}"] = scope is IEnumerable<KeyValuePair<string, object?>> kv
                ? string.Join(" ", kv.Select(p => $"{p.Key}={p.Value}"))
                : scope?.ToString(), (object?)null);
            owner._entries.Enqueue(new LogEntry(category, logLevel, eventId.Name ?? "", formatter(state, exception), fields,
                exception?.ToString()));
        }
    }
}

/// <summary>The API with every category logging at Trace into a <see cref="LogCapture"/>.</summary>
public sealed class LogCaptureApiFactory : ApiFactory
{
    public LogCapture Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        foreach (var category in new[] { "Default", "Microsoft.AspNetCore", "Marten", "Microsoft.AspNetCore.DataProtection" })
            builder.UseSetting($"Logging:LogLevel:{category}", "Trace");
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }
}
