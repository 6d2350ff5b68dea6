using System.Runtime;
using JasperFx;
using Npgsql;
using Spectre.Console;

namespace Sharedcloud.Es.Api.CommandLine;

/// <summary>
/// The one entry point: no arguments (or only options such as <c>--urls</c>) runs the web host, as it always did;
/// a command name runs that command (JasperFx's command line: Marten's <c>projections</c>,
/// <c>db-apply</c>, ... and ours, <c>events</c> and <c>bench</c>) without starting the host.
/// </summary>
public static class CommandLineSetup
{
    // Commands that talk to the database: checked to be reachable first, so that an unreachable
    // server is one clear line instead of a stack trace (or Marten's bare "Errors detected").
    private static readonly HashSet<string> DatabaseCommands = new(StringComparer.OrdinalIgnoreCase)
    {
        "projections", "events", "bench", "credit", "db-apply", "db-assert", "db-patch", "marten", "storage",
        "event-query", "stream-query", "projection-run", "resources", "clear-handled",
    };

    /// <summary>
    /// The command the arguments name, or null for the web host: options alone (--urls from scripts/run.sh, the
    /// test host's settings) are the web host's.
    /// </summary>
    public static string? CommandOf(string[] args) => args.Length > 0 && !args[0].StartsWith('-') ? args[0] : null;

    public static async Task<int> RunSharedcloudAsync(this WebApplication app, string[] args)
    {
        var command = CommandOf(args);
        if (command is null)
        {
            await app.RunAsync();
            return 0;
        }

        // A batch job: the garbage collector works while the job waits, not beside it (a rebuild of 1,000,000
        // events: its folding 29 s with background collections, 25 s without).
        GCSettings.LatencyMode = GCLatencyMode.Batch;

        // JasperFx and Spectre write their chatter ("Searching ... for commands", headings) to
        // stdout; on stderr it cannot mix with the data that commands write to stdout (an export).
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

        if (DatabaseCommands.Contains(command) && await UnreachableDatabaseAsync(app) is { } problem)
        {
            await Console.Error.WriteLineAsync(problem);
            return 2;
        }
        if (LiveRebuildArguments(args) is { } projections)
            return await RunLiveRebuildAsync(app, projections);
        return await app.RunJasperFxCommands(MergeRepeatedFlags(args.Where(a => a != InPlaceFlag).ToArray()));
    }

    public const string InPlaceFlag = "--in-place";

    /// <summary>
    /// <c>projections rebuild [-p NAME ...]</c> is the live rebuild (<see cref="LiveRebuild"/>): the projections named, or
    /// all; null for any other command, and for <c>projections rebuild --in-place</c>, which is Marten's own (the read
    /// model emptied and refilled where it is; for a stopped service).
    /// </summary>
    internal static IReadOnlyList<string>? LiveRebuildArguments(string[] args)
    {
        if (args.Length < 2 || args[0] != "projections" || args[1] != "rebuild" || args.Contains(InPlaceFlag)) return null;
        var projections = new List<string>();
        for (var i = 2; i < args.Length; i++)
        {
            if (args[i] is "-p" or "--projection" && i + 1 < args.Length) projections.Add(args[++i]);
            else if (args[i].StartsWith("--") && i + 1 < args.Length && !args[i + 1].StartsWith('-')) i++; // Marten's other options
        }
        return projections;
    }

    private static async Task<int> RunLiveRebuildAsync(WebApplication app, IReadOnlyList<string> projections)
    {
        using var cancel = CommandCancellation.OnCtrlC();
        try
        {
            await ActivatorUtilities.CreateInstance<LiveRebuild>(app.Services).RunAsync(projections, cancel.Token);
            return 0;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("cancelled: nothing was swapped in that was not complete");
            return 1;
        }
    }

    private static async Task<string?> UnreachableDatabaseAsync(WebApplication app)
    {
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        var target = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await using var connection = await dataSource.OpenConnectionAsync(timeout.Token);
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            var reason = e is PostgresException pg ? pg.MessageText : e.Message;
            return $"error: cannot reach the database {target.Database} at {target.Host}:{target.Port} " +
                   $"(ConnectionStrings__Postgres): {reason}";
        }
    }

    /// <summary>
    /// JasperFx keeps only the last occurrence of a list flag (<c>--type a --type b</c> would be
    /// <c>b</c>), so every <c>--type</c> value is gathered into one flag at the end (<c>--type a b</c>),
    /// and both forms work.
    /// </summary>
    internal static string[] MergeRepeatedFlags(string[] args)
    {
        const string listFlag = "--type";
        if (args.Count(a => a == listFlag) < 2) return args;
        var rest = new List<string>();
        var values = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] != listFlag)
            {
                rest.Add(args[i]);
                continue;
            }
            while (i + 1 < args.Length && !args[i + 1].StartsWith('-')) values.Add(args[++i]);
        }
        return [.. rest, listFlag, .. values];
    }
}
