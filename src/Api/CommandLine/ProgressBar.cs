using Spectre.Console;

namespace Sharedcloud.Es.Api.CommandLine;

/// <summary>
/// A progress bar on stderr while a long command works, only when stderr is a terminal: in a
/// pipe or a log file it would be noise. Commands report a count; the bar shows the rate and the
/// time left.
/// </summary>
public static class ProgressBar
{
    public static bool Shown => !Console.IsErrorRedirected;

    /// <param name="total">What the count will reach, when known.</param>
    public static async Task<T> RunAsync<T>(string description, long? total, Func<IProgress<long>, Task<T>> work)
    {
        if (!Shown) return await work(Silent.Instance);
        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(description, maxValue: Math.Max(total ?? 1, 1));
                task.IsIndeterminate = total is null;
                var result = await work(new Reporter(task));
                task.Value = task.MaxValue;
                return result;
            });
    }

    private sealed class Silent : IProgress<long>
    {
        public static readonly Silent Instance = new();
        public void Report(long value) { }
    }

    private sealed class Reporter(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Value = Math.Min(value, task.MaxValue);
    }
}
