using System.Diagnostics;

namespace Sharedcloud.Es.Api.Tests.Documentation;

/// <summary>
/// The programs the documentation tests run: redocly and playwright-core from <c>.local/tools</c> and
/// Debian's chromium, which <c>scripts/docs-tools.sh</c> installs (<c>scripts/test.sh</c> runs it first).
/// </summary>
public static class DocsTools
{
    public static string Repository { get; } = FindRepository();

    public static string ToolsDirectory =>
        Environment.GetEnvironmentVariable("SHAREDCLOUD_DOCS_TOOLS") is { Length: > 0 } dir ? dir : Path.Combine(Repository, ".local", "tools");

    public static string Chromium =>
        Environment.GetEnvironmentVariable("SHAREDCLOUD_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static string Redocly => Require(Path.Combine(ToolsDirectory, "node_modules", ".bin", "redocly"));

    public static string PlaywrightCore => Require(Path.Combine(ToolsDirectory, "node_modules", "playwright-core"));

    public static string ChromiumExecutable => Require(Chromium);

    private static string Require(string path) =>
        File.Exists(path) || Directory.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing: run scripts/docs-tools.sh (scripts/test.sh does).");

    /// <summary>Runs a program to its end (or kills it after <paramref name="timeout"/>); returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, IEnumerable<string> arguments,
        TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {timeout}: {await error}");
        }
        return (process.ExitCode, await output, await error);
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sharedcloud.Es.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository (Sharedcloud.Es.sln) is not above the test assembly.");
    }
}
