using FluentValidation;
using HealthChecks.NpgSql;
using JasperFx.CodeGeneration;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Sharedcloud.Es.Api.Accounts;
using Sharedcloud.Es.Api.Analytics;
using Sharedcloud.Es.Api.Auditing;
using Sharedcloud.Es.Api.Auth;
using Sharedcloud.Es.Api.Documentation;
using Sharedcloud.Es.Api.Gpus;
using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Api.Infrastructure.Idempotency;
using Sharedcloud.Es.Api.Instances;
using Sharedcloud.Es.Api.Instances.Machine;
using Sharedcloud.Es.Api.Marketplace;
using Sharedcloud.Es.Api.Functions;
using Sharedcloud.Es.Api.Jobs;
using Sharedcloud.Es.Api.Runs;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Marten;
using Sharedcloud.Es.Domain.Instances.Registering;
using Sharedcloud.Es.Projections;
using Sharedcloud.Es.Projections.Accounts;

namespace Sharedcloud.Es.Api;

/// <summary>The composition of the service, shared by Program and the tests.</summary>
public static class ApiSetup
{
    private const string DevelopmentTokenSecret = "development-only-token-secret-do-not-use-in-production";

    /// <param name="runsCommand">Whether the process runs a command of the command line instead of the web host.</param>
    public static void AddSharedcloud(this WebApplicationBuilder builder, bool runsCommand = false)
    {
        var services = builder.Services;
        var connectionString = builder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException(
                "No database configured: set ConnectionStrings:Postgres (environment ConnectionStrings__Postgres), " +
                "or start the API with scripts/run.sh, which runs a local PostgreSQL.");
        connectionString = DatabaseConnection.WithDefaults(connectionString, prepare: !runsCommand);
        builder.AddFaultTolerance();

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // Every request of this API is a few hundred bytes; a larger body is refused with 413.
            k.Limits.MaxRequestBodySize = builder.Configuration.GetValue("Limits:MaxRequestBodyBytes", 64 * 1024);
        });
        services.AddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();

        // Marten's statement failures at the levels operators alert on, without bound values (MartenFailureLog).
        services.AddSingleton<ILogger<IDocumentStore>, MartenFailureLog>();
        services.AddMarten(opts =>
            {
                MartenConfiguration.Configure(opts, connectionString);
                IdempotencyStore.Configure(opts);
                // marten.event.append, per event type: what the service writes, for the metrics.
                opts.OpenTelemetry.TrackEventCounters();
            })
            .BuildSessionsWith<AuditedSessions>()
            .ApplyAllDatabaseChangesOnStartup()
            .InitializeWith(new GpuCatalogSeed())
            .InitializeWith(new ImageCatalogSeed())
            .InitializeWith(new AuditIndex())
            .InitializeWith(new Instances.Machine.LastContactGuard())
            .InitializeWith(new AccountHold())
            .AddAsyncDaemon(builder.Configuration.ProjectionDaemonMode())
            .IntegrateWithWolverine(w => w.MessageStorageSchemaName = "wolverine");

        // Wolverine runs the durable, scheduled background work (silence checks); requests go
        // through the mediator. Its envelopes live in the same PostgreSQL, written in the same
        // transactions as the events (outbox).
        builder.Host.UseWolverine(opts =>
        {
            opts.ApplicationAssembly = typeof(ApiSetup).Assembly;
            // Handlers are pre-generated (Internal/Generated, `codegen write`) and compiled with the API: no
            // Roslyn at run time, which stalled the first silence check and grew the process (README, Architecture).
            // A handler without its generated code fails at start-up; regenerate after changing one.
            opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Static;
            opts.Discovery.DisableConventionalDiscovery().IncludeType(typeof(CheckSilenceHandler));
            opts.Policies.AutoApplyTransactions();
            opts.Policies.UseDurableLocalQueues();
            // A check that fails (the database away, say) is tried again, then rescheduled: never
            // dropped, or the instance would never be checked for silence again.
            opts.OnException<Exception>()
                .RetryWithCooldown(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5))
                .Then.ScheduleRetryIndefinitely(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10));
            // Timings of Wolverine's durability agent (scheduled-message polling, recovery of a
            // stopped node's messages) are Wolverine's defaults unless set under Wolverine:Durability.
            builder.Configuration.GetSection("Wolverine:Durability").Bind(opts.Durability);
        });
        services.AddOptions<PresenceOptions>()
            .Bind(builder.Configuration.GetSection(PresenceOptions.Section))
            .Validate(o => o.OfflineAfter > TimeSpan.Zero && o.NotAvailableAfter >= o.OfflineAfter,
                "Presence:OfflineAfter must be positive and Presence:NotAvailableAfter at least as long.")
            .ValidateOnStart();

        services.AddMediator((Mediator.MediatorOptions options) =>
        {
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.Assemblies = [typeof(RegisterInstance), typeof(ApiSetup)];
            options.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
        });
        services.AddValidatorsFromAssemblyContaining<RegisterInstanceValidator>(ServiceLifetime.Singleton);

        services.AddOptions<DispatchOptions>()
            .Bind(builder.Configuration.GetSection(DispatchOptions.Section))
            .Validate(o => o.MaxJobsPerPoll >= 1, "Dispatch:MaxJobsPerPoll must be at least 1.")
            .ValidateOnStart();
        services.AddOptions<BillingOptions>().Bind(builder.Configuration.GetSection(BillingOptions.Section));
        services.AddOptions<AuthOptions>()
            .Bind(builder.Configuration.GetSection(AuthOptions.Section))
            .PostConfigure(o =>
            {
                if (string.IsNullOrEmpty(o.TokenSecret) && builder.Environment.IsDevelopment())
                    o.TokenSecret = DevelopmentTokenSecret;
            })
            .Validate(o => o.TokenSecret.Length >= 32,
                "Auth:TokenSecret (environment Auth__TokenSecret) must be set to a secret of at least 32 characters; " +
                "API keys are derived from it.")
            .ValidateOnStart();
        services.AddSingleton<ApiKeys>();
        services.AddScoped<Sharedcloud.Es.Api.Accounts.AccountKeys>();
        services.AddSingleton<EventLog>();
        services.AddSingleton<InstanceReads>();
        services.AddSingleton<AuditedSessions>();
        services.AddSingleton<StreamWrites>();
        // The raw statements (the poll, the audit feed, GET's reads) leave no session state on their connections, so the
        // pool need not reset them: DISCARD ALL on every checkout cost the poll a round trip of its own (README, Polling).
        services.AddSingleton(_ => Npgsql.NpgsqlDataSource.Create(
            new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString));
        services.AddSingleton(sp => WriteConnections.Create(connectionString,
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<WriteOptions>>().Value));
        services.AddSingleton<KeyCache>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyCache>());
        services.AddSingleton<IPasswordHasher<AccountCredentials>, PasswordHasher<AccountCredentials>>();
        services.AddAuthentication(TokenAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthentication>(TokenAuthentication.SchemeName, null);

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJson.Api);
            // As ApiJson's: the OpenAPI document describes types with these options.
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        services.AddExceptionHandler<ErrorTable>();
        services.AddProblemDetails();

        services.AddIdempotencyKeys(builder.Configuration);
        builder.AddApiDocs();

        builder.AddTelemetry();
        services.AddAnalytics();
        services.AddThrottling(builder.Configuration);

        services.AddHealthChecks()
            .AddNpgSql(connectionString, name: "postgres", tags: ["ready"], timeout: TimeSpan.FromSeconds(3));
    }

    public static void UseSharedcloud(this WebApplication app)
    {
        app.UseRequestAudit();
        app.UseRequestLogging();
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages(context => ErrorTable.WriteStatusBody(context.HttpContext));
        app.UseOptionalTrailingSlash();
        // Explicit, so that it runs inside the error table: the one WebApplication adds by itself runs
        // first of all, and a database failure while looking up a key would escape as a bare 500.
        app.UseAuthentication();
        app.UseAuthenticationFirst();
        app.UseThrottling();
        app.UseMarketplaceBodies();
        app.UseIdempotencyKeys();
        app.UseRouting();

        app.MapTelemetry();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false })
            .Documented("live", ApiTags.Health, "The process runs", d => d.ReturnsText(200, "Healthy", "Running."));
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") })
            .Documented("ready", ApiTags.Health, "PostgreSQL answers", d => d
                .ReturnsText(200, "Healthy", "Ready to serve.").ReturnsText(503, "Unhealthy", "The database does not answer."));
        app.MapAccounts();
        app.MapGpus();
        app.MapInstances();
        app.MapFunctions();
        app.MapRuns();
        app.MapJobs();
        app.MapAudit();
        app.MapImages();
        app.MapOffers();
        app.MapApiDocs();
        app.MapAnalytics();
    }
}
