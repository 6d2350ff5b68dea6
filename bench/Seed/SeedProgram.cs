using Sharedcloud.Es.Api;
using Sharedcloud.Es.Api.CommandLine;

namespace Sharedcloud.Es.Bench.Seed;

/// <summary>
/// <c>dotnet Sharedcloud.Es.Bench.Seed.dll bench seed --accounts N --instances N --events N</c>, against the database of
/// <c>ConnectionStrings__Postgres</c>, as the service's own commands run (no Main of top-level statements: the API
/// tests' host factory names the API's Program).
/// </summary>
public static class SeedProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (CommandLineSetup.CommandOf(args) is null)
        {
            await Console.Error.WriteLineAsync("usage: bench seed [--accounts N] [--instances N] [--events N] [--random N]");
            return 2;
        }
        var builder = WebApplication.CreateBuilder(args);
        builder.AddSharedcloud(runsCommand: true);
        var app = builder.Build();
        return await app.RunSharedcloudAsync(args);
    }
}
