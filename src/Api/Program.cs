using Sharedcloud.Es.Api;
using Sharedcloud.Es.Api.CommandLine;

var builder = WebApplication.CreateBuilder(args);
builder.AddSharedcloud(runsCommand: CommandLineSetup.CommandOf(args) is not null);

var app = builder.Build();
app.UseSharedcloud();
// No arguments runs the web host; a command (projections, events, bench, ...) runs that instead.
return await app.RunSharedcloudAsync(args);

/// <summary>The entry point, visible to the API tests' host factory.</summary>
public partial class Program;
