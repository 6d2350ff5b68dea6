using Sharedcloud.Es.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddSharedcloud();

var app = builder.Build();
app.UseSharedcloud();
await app.RunAsync();

/// <summary>The entry point, visible to the API tests' host factory.</summary>
public partial class Program;
