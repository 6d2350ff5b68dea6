// The bare baseline for the bench/ scripts: the same JSON documents as the API's instance object,
// stored and read with Npgsql directly, with no auth, no event store and no mediator. It shows what
// this machine's ASP.NET Core + PostgreSQL can do, so that the API's requests/s can be read as a ratio.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sharedcloud.Es.Bench.Baseline;

var builder = WebApplication.CreateBuilder(args);
var connectionString = builder.Configuration.GetConnectionString("Postgres");
if (string.IsNullOrWhiteSpace(connectionString))
    throw new InvalidOperationException("Set ConnectionStrings:Postgres (environment ConnectionStrings__Postgres).");

builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
// Connections leave no session state, so the pool need not reset them (DISCARD ALL) on every
// checkout; the API's Marten store skips the reset too, and the baseline must not pay what it avoids.
// Likewise the API prepares its repeated statements on the server (Max Auto Prepare 64 unless its
// connection string says otherwise), so the baseline does, unless its connection string says otherwise.
var settings = new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true };
if (!new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.ContainsKey("Max Auto Prepare"))
    settings.MaxAutoPrepare = 64;
builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(settings));

var app = builder.Build();
var db = app.Services.GetRequiredService<NpgsqlDataSource>();

await using (var create = db.CreateCommand("""
    CREATE TABLE IF NOT EXISTS bench_instances (
        id uuid PRIMARY KEY,
        owner uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        data jsonb NOT NULL);
    CREATE INDEX IF NOT EXISTS bench_instances_owner_created ON bench_instances (owner, created_at DESC);
    """))
{
    await create.ExecuteNonQueryAsync();
}

// Kestrel and the host only: a constant body of the size of the API's GET (bench/layers.sh, layer "host").
var constant = Encoding.UTF8.GetBytes("{\"probe\":\"" + new string('x', 349) + "\"}");
app.MapGet("/layers/host", (HttpContext context) =>
{
    context.Response.ContentType = "application/json; charset=utf-8";
    context.Response.ContentLength = constant.Length;
    return context.Response.Body.WriteAsync(constant).AsTask();
});

// One row's document, as stored.
app.MapGet("/instances/{id:guid}", async (Guid id, CancellationToken ct) =>
{
    await using var cmd = db.CreateCommand("SELECT data FROM bench_instances WHERE id = $1");
    cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
    return await cmd.ExecuteScalarAsync(ct) is string json
        ? Results.Text(json, "application/json", Encoding.UTF8)
        : Results.NotFound();
});

// A machine's poll, bare (bench/poll.sh): one UPDATE that writes the contact time into the row's
// document in place, as the API's get-jobs does, and the same body ("[]", no job). No
// authentication, no share lock on a stream row, no account check.
app.MapGet("/instances/{id:guid}/touch", async (Guid id, CancellationToken ct) =>
{
    await using var cmd = db.CreateCommand(
        "UPDATE bench_instances SET data = jsonb_set(data, '{last_connection}', to_jsonb($2::text)) WHERE id = $1 RETURNING 1");
    cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
    cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = DateTimeOffset.UtcNow.ToString("O") });
    return await cmd.ExecuteScalarAsync(ct) is null
        ? Results.NotFound()
        : Results.Text("[]", "application/json");
});

// The owner's documents, newest first, as a JSON array.
app.MapGet("/instances", async (Guid owner, CancellationToken ct) =>
{
    await using var cmd = db.CreateCommand(
        "SELECT data FROM bench_instances WHERE owner = $1 ORDER BY created_at DESC");
    cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = owner });
    var body = new StringBuilder("[");
    await using (var reader = await cmd.ExecuteReaderAsync(ct))
    {
        while (await reader.ReadAsync(ct))
        {
            if (body.Length > 1) body.Append(',');
            body.Append(reader.GetString(0));
        }
    }
    body.Append(']');
    return Results.Text(body.ToString(), "application/json", Encoding.UTF8);
});

// A change of one row's document (bench/run.sh's patch scenarios): the form's fields (name, ask_price) and a new
// updated_at merged into the stored JSON by one UPDATE, and the changed document as the answer (404 if no row). No
// authentication, no event, no lock beyond the UPDATE's own row lock, no validation beyond the number's parse.
app.MapPatch("/instances/{id:guid}", async (Guid id, HttpRequest request, CancellationToken ct) =>
{
    var form = await request.ReadFormAsync(ct);
    var changes = new Dictionary<string, object>
    {
        ["updated_at"] = DateTimeOffset.UtcNow.ToString(BenchInstance.TimestampFormat, CultureInfo.InvariantCulture),
    };
    if (form.TryGetValue("name", out var name)) changes["name"] = name.ToString().Trim();
    if (form.TryGetValue("ask_price", out var price))
    {
        if (!decimal.TryParse(price.ToString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var askPrice))
            return Results.BadRequest();
        changes["ask_price"] = askPrice;
    }
    await using var cmd = db.CreateCommand("UPDATE bench_instances SET data = data || $2 WHERE id = $1 RETURNING data");
    cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
    cmd.Parameters.Add(new NpgsqlParameter<string>
    {
        TypedValue = JsonSerializer.Serialize(changes, BaselineJson.Api.DictionaryStringObject), NpgsqlDbType = NpgsqlDbType.Jsonb,
    });
    return await cmd.ExecuteScalarAsync(ct) is string json
        ? Results.Text(json, "application/json", Encoding.UTF8)
        : Results.NotFound();
});

// A form (name, ask_price) becomes a new document, shaped like the API's instance object.
app.MapPost("/instances", async (Guid owner, HttpRequest request, CancellationToken ct) =>
{
    var form = await request.ReadFormAsync(ct);
    var name = form["name"].ToString().Trim();
    if (name.Length == 0 || !decimal.TryParse(form["ask_price"].ToString(), NumberStyles.Number,
            CultureInfo.InvariantCulture, out var askPrice))
        return Results.BadRequest();

    var now = DateTimeOffset.UtcNow.ToString(BenchInstance.TimestampFormat, CultureInfo.InvariantCulture);
    var instance = new BenchInstance(Guid.CreateVersion7(), Type: 1, Gpu: null, GpuName: "n/a", NumRunningJobs: 0,
        UpdatedAt: now, CreatedAt: now, CurrentServerTime: now, NumAssignedJobs: 0, LastConnection: null,
        Name: name, Status: 1, AskPrice: askPrice, DownloadedImages: [], MaxNumParallelJobs: 1);
    var json = JsonSerializer.Serialize(instance, BaselineJson.Api.BenchInstance);

    await using var cmd = db.CreateCommand("INSERT INTO bench_instances (id, owner, data) VALUES ($1, $2, $3)");
    cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = instance.Uuid });
    cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = owner });
    cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = json, NpgsqlDbType = NpgsqlDbType.Jsonb });
    await cmd.ExecuteNonQueryAsync(ct);
    return Results.Text(json, "application/json", Encoding.UTF8, StatusCodes.Status201Created);
});

await app.RunAsync();
