// The API as it runs (its own AddSharedcloud and UseSharedcloud), with probes that stop a GET at each layer
// (bench/layers.sh). Each probe answers a body of the size of GET /api/v1/instances/<uuid>/'s, so that the
// layers differ only in the work done, not in the bytes sent.
using System.Text;
using Npgsql;
using Sharedcloud.Es.Api;
using Sharedcloud.Es.Projections;

var builder = WebApplication.CreateBuilder(args);
builder.AddSharedcloud();
var app = builder.Build();

// 361 bytes, as the GET's body (bench/layers.sh prints the GET's actual size) and the baseline's constant.
var body = Encoding.UTF8.GetBytes("{\"probe\":\"" + new string('x', 349) + "\"}");

// host: Kestrel and the host only, answered before the API's first middleware.
app.Use((context, next) => context.Request.Path == "/layers/host" ? Constant(context) : next(context));

app.UseSharedcloud();

// pipeline: every middleware of the API, routing and an endpoint; anonymous (outside /api/v1).
app.MapGet("/layers/pipeline", Constant);

// auth: the same, with the API key checked as for any /api/v1 request.
app.MapGet("/api/v1/layers/auth", Constant);

// baseline-handler: the bare baseline's own GET handler (bench/Baseline/Program.cs, same pool settings),
// reading the API's read-model row by id: what the API's pipeline and authentication cost around the
// baseline's code, with nothing of the API's own read path.
var connectionString = new NpgsqlConnectionStringBuilder(builder.Configuration.GetConnectionString("Postgres"))
    { NoResetOnClose = true, MaxAutoPrepare = 64 };
var db = NpgsqlDataSource.Create(connectionString);
app.MapGet("/api/v1/layers/baseline-handler/{id:guid}", async (Guid id, CancellationToken ct) =>
{
    await using var cmd = db.CreateCommand($"SELECT data FROM {MartenConfiguration.Schema}.mt_doc_instancedetails WHERE id = $1");
    cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
    return await cmd.ExecuteScalarAsync(ct) is string json
        ? Results.Text(json, "application/json", Encoding.UTF8)
        : Results.NotFound();
});

await app.RunAsync();

Task Constant(HttpContext context)
{
    context.Response.ContentType = "application/json; charset=utf-8";
    context.Response.ContentLength = body.Length;
    return context.Response.Body.WriteAsync(body).AsTask();
}
