namespace Sharedcloud.Es.Api.CommandLine;

/// <summary>Ctrl-C cancels a running command (which then cleans up after itself) instead of killing the process.</summary>
public sealed class CommandCancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();

    private CommandCancellation() => Console.CancelKeyPress += OnCancel;

    public CancellationToken Token => _source.Token;

    public static CommandCancellation OnCtrlC() => new();

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _source.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        _source.Dispose();
    }
}
