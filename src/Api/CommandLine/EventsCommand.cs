using System.Diagnostics;
using System.Globalization;
using JasperFx.CommandLine;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Projections;

namespace Sharedcloud.Es.Api.CommandLine;

public enum EventsAction
{
    export,
    verify,
}

public sealed class EventsInput : NetCoreInput
{
    [Description("export: the events as NDJSON; verify: rebuild every read model aside from the events and compare")]
    public EventsAction Action { get; set; }

    [Description("export: only events recorded at or after this time (ISO 8601 or dd-MM-yyyy HH:mm:ss; UTC unless an offset is given)")]
    public string? SinceFlag { get; set; }

    [Description("export: only events recorded before the end of this time (a date covers its day, a time to the second its second)")]
    public string? UntilFlag { get; set; }

    [Description("export: only events of these types (stored names such as instance_renamed); repeatable")]
    public string[] TypeFlag { get; set; } = [];

    [Description("export: write to this file instead of stdout (replaced only once the export is complete)")]
    public string? OutFlag { get; set; }
}

[Description("Export the event log as NDJSON, or verify every read model against a rebuild from the events")]
public sealed class EventsCommand : JasperFxAsyncCommand<EventsInput>
{
    public EventsCommand()
    {
        Usage("Export or verify").Arguments(x => x.Action);
    }

    public override async Task<bool> Execute(EventsInput input)
    {
        using var host = input.BuildHost();
        using var cancel = CommandCancellation.OnCtrlC();
        return input.Action switch
        {
            EventsAction.export => await ExportAsync(input, host.Services, cancel.Token),
            EventsAction.verify => await ActivatorUtilities.CreateInstance<ReadModelVerification>(host.Services).RunAsync(cancel.Token),
            _ => false,
        };
    }

    private static async Task<bool> ExportAsync(EventsInput input, IServiceProvider services, CancellationToken ct)
    {
        if (ParseFilter(input) is not { } filter) return false;
        var export = ActivatorUtilities.CreateInstance<EventExport>(services);
        var total = ProgressBar.Shown ? await export.CountAsync(filter, ct) : (long?)null;

        var clock = Stopwatch.StartNew();
        string? partial = null;
        Stream output;
        if (input.OutFlag is { } path)
        {
            var full = Path.GetFullPath(path);
            if (Directory.Exists(full)) return Fail($"--out {path} is a directory.");
            partial = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.partial");
            try
            {
                output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail($"cannot write {path}: {e.Message}");
            }
        }
        else output = new BufferedStream(Console.OpenStandardOutput(), 1 << 20);

        long count;
        try
        {
            await using (output)
                count = await ProgressBar.RunAsync("exporting events", total, progress => export.WriteAsync(filter, output, progress, ct));
            if (partial is not null) File.Move(partial, Path.GetFullPath(input.OutFlag!), overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            if (partial is not null) File.Delete(partial);
            return Fail(e is OperationCanceledException ? "export cancelled." : $"export failed: {e.Message}");
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var destination = input.OutFlag is { } file ? $" to {file}" : "";
        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"exported {count} events in {seconds:0.00} s ({count / Math.Max(seconds, 0.001):0} events/s){destination}"));
        return true;
    }

    private static EventExport.Filter? ParseFilter(EventsInput input)
    {
        Moment? since = null, until = null;
        if (input.SinceFlag is { } sinceText)
        {
            if (!Moment.TryParse(sinceText, out var moment)) return FailWith($"--since \"{sinceText}\": {Moment.FormatsMessage}");
            since = moment;
        }
        if (input.UntilFlag is { } untilText)
        {
            if (!Moment.TryParse(untilText, out var moment)) return FailWith($"--until \"{untilText}\": {Moment.FormatsMessage}");
            until = moment;
        }
        var known = MartenConfiguration.EventNames.Values.ToHashSet(StringComparer.Ordinal);
        var unknown = input.TypeFlag.Where(t => !known.Contains(t)).ToList();
        if (unknown.Count > 0)
            return FailWith($"unknown event type{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown)}; " +
                            $"the event types are: {string.Join(", ", MartenConfiguration.EventNames.Values)}.");
        return new EventExport.Filter(since?.Start, until?.End, input.TypeFlag);
    }

    private static EventExport.Filter? FailWith(string message)
    {
        Fail(message);
        return null;
    }

    internal static bool Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return false;
    }
}
