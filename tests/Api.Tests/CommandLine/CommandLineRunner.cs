using System.Diagnostics;

namespace Sharedcloud.Es.Api.Tests.CommandLine;

/// <summary>
/// Runs the built API's command line as an operator does (<c>dotnet Sharedcloud.Es.Api.dll &lt;command&gt;</c>),
/// in a child process, against a given database. <c>bench</c> is the benchmarks' own tool (bench/Seed), built beside.
/// </summary>
public static class CommandLineRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    public static async Task<Result> RunAsync(string connectionString, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        var program = args is ["bench", ..] ? "Sharedcloud.Es.Bench.Seed.dll" : "Sharedcloud.Es.Api.dll";
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["ConnectionStrings__Postgres"] = connectionString;
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        info.Environment["Logging__LogLevel__Default"] = "Warning";

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {program} {string.Join(' ', args)} did not finish within 5 minutes");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>No stack trace reached the operator: a clear message is all they get.</summary>
    public static void AssertNoStackTrace(Result result)
    {
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stdout);
    }
}
