using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Functions;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Jobs;
using Sharedcloud.Es.Domain.Runs;
using Sharedcloud.Es.Projections.Accounts;
using Sharedcloud.Es.Projections.Analytics;
using Sharedcloud.Es.Projections.Gpus;
using Sharedcloud.Es.Projections.Images;
using Sharedcloud.Es.Projections.Marketplace;
using Sharedcloud.Es.Projections.States;
using Weasel.Core;

namespace Sharedcloud.Es.Projections;

public static class MartenConfiguration
{
    /// <summary>Stored event names: fixed strings, so classes can be renamed without touching history.</summary>
    public static readonly IReadOnlyDictionary<Type, string> EventNames = new Dictionary<Type, string>
    {
        [typeof(InstanceRegistered)] = "instance_registered",
        [typeof(InstanceRenamed)] = "instance_renamed",
        [typeof(InstancePriceChanged)] = "instance_price_changed",
        [typeof(InstanceTypeChanged)] = "instance_type_changed",
        [typeof(InstanceGpuChanged)] = "instance_gpu_changed",
        [typeof(InstanceParallelismChanged)] = "instance_parallelism_changed",
        [typeof(InstanceDeleted)] = "instance_deleted",
        [typeof(InstanceStarted)] = "instance_started",
        [typeof(InstanceStopped)] = "instance_stopped",
        [typeof(InstanceCameOnline)] = "instance_came_online",
        [typeof(InstanceWentOffline)] = "instance_went_offline",
        [typeof(InstanceImageAdded)] = "instance_image_added",
        [typeof(InstanceImageRemoved)] = "instance_image_removed",
        [typeof(AccountRegistered)] = "account_registered",
        [typeof(AccountUsernameChanged)] = "account_username_changed",
        [typeof(AccountEmailChanged)] = "account_email_changed",
        [typeof(AccountPasswordChanged)] = "account_password_changed",
        [typeof(AccountKeyRotated)] = "account_key_rotated",
        [typeof(AccountLoggedIn)] = "account_logged_in",
        [typeof(AccountDeleted)] = "account_deleted",
        [typeof(AccountCredited)] = "account_credited",
        [typeof(AccountCharged)] = "account_charged",
        [typeof(AccountPaid)] = "account_paid",
        [typeof(FunctionCreated)] = "function_created",
        [typeof(FunctionRenamed)] = "function_renamed",
        [typeof(FunctionImageChanged)] = "function_image_changed",
        [typeof(FunctionCodeChanged)] = "function_code_changed",
        [typeof(FunctionDeleted)] = "function_deleted",
        [typeof(RunCreated)] = "run_created",
        [typeof(RunDeleted)] = "run_deleted",
        [typeof(JobCreated)] = "job_created",
        [typeof(JobAssigned)] = "job_assigned",
        [typeof(JobStarted)] = "job_started",
        [typeof(JobFinished)] = "job_finished",
        [typeof(JobReleased)] = "job_released",
        [typeof(JobDeleted)] = "job_deleted",
    };

    public const string Schema = "sharedcloud";

    /// <summary>The projections that keep the domain's states (the names <c>projections rebuild -p</c> takes).</summary>
    public const string InstanceProjection = "InstanceDetails", AccountProjection = "AccountDetails",
        FunctionProjection = "Functions", RunProjection = "Runs", JobProjection = "Jobs";

    /// <summary>
    /// Events per page when an inline projection is rebuilt (<c>projections rebuild</c>, <c>events verify</c>,
    /// <c>bench seed</c>), which is all the daemon ever does with one. A log interleaves many streams, so each
    /// page writes most documents once: the larger the page, the fewer the writes (README, replay, has the figures).
    /// </summary>
    public const int RebuildBatchSize = 100_000;

    /// <summary>
    /// Events per page of an async projection, catching up in the API's daemon or rebuilt (the ranges that
    /// <see cref="Replay.FoldingReplay"/> loads, several at once, and folds in memory, so a rebuild writes each document
    /// once whatever the page). Under write load the daemon runs behind the writes and takes a full page each time:
    /// pages of 25,000 events kept one deserialised page per projection in the API beside the requests, about 30 MB
    /// of its peak RSS, for no more throughput (README, Benchmarks, session 18).
    /// </summary>
    public const int AsyncBatchSize = 1_000;

    // Marten's deferred rebuild writes (AsyncOptions.RebuildFlushThreshold, each document written once per
    // rebuild) were faster but are left out: under load a rebuild failed now and then on a duplicate progress
    // row (README, replay).

    /// <summary>How an inline projection is paged when it is rebuilt.</summary>
    public static void ForRebuilds(AsyncOptions options) => options.BatchSize = RebuildBatchSize;

    /// <summary>How an async projection is paged, rebuilt or live.</summary>
    public static void ForAsync(AsyncOptions options) => options.BatchSize = AsyncBatchSize;

    /// <summary>The instance list's index: an account's instances by creation time.</summary>
    public const string InstanceListIndexName = "mt_doc_instancedetails_idx_account_created";

    /// <summary>The audit feed's index on mt_events (created by the API at start-up, kept by Marten's migrations).</summary>
    public const string OwnerIndexName = "mt_events_owner_seq";

    /// <summary>The audit feed's index of the events an account is a party to (created with <see cref="OwnerIndexName"/>).</summary>
    public const string PartyIndexName = "mt_events_party_seq";

    /// <summary>The audit feed's index for filters on event types (created with <see cref="OwnerIndexName"/>).</summary>
    public const string OwnerTypeIndexName = "mt_events_owner_type_seq";

    /// <param name="clock">Where event timestamps come from (the system clock unless given).</param>
    public static void Configure(StoreOptions opts, string connectionString, string schema = Schema, TimeProvider? clock = null)
    {
        // Sessions leave no state on their connections, so the pool need not reset them (DISCARD
        // ALL on every checkout would also throw away the server's prepared plans).
        opts.Connection(new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString);
        opts.DatabaseSchemaName = schema;
        opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsInteger, Casing.SnakeCase);

        // No replay of a failed save: Marten's default retries a commit that met a lock timeout or a deadlock, but the
        // write path's saves run in a transaction that holds the stream's lock and decided on what it loaded under it
        // (a replay would run in that aborted transaction, or in a new one without the lock). StreamWrites starts the
        // whole write over instead; Wolverine and the projection daemon have retries of their own.
        opts.ConfigureWritePolly(_ => { });

        opts.Events.StreamIdentity = StreamIdentity.AsGuid;
        // Marten 9's default append mode (QuickWithServerTimestamps), despite its name, stamps events
        // with Events.TimeProvider in .NET, while the writer holds the stream's lock: times follow the
        // versions, and inline projections see the stamp that is stored. (Quick stamps them with the
        // server's now(), the start of the transaction: a writer that queued on the lock got a time before
        // its predecessor's, and the inline documents did not get the stored time at all.)
        opts.Events.AppendMode = EventAppendMode.QuickWithServerTimestamps;
        opts.Events.TimeProvider = new EventClock(clock ?? TimeProvider.System);
        // Who, why and where, on every event: the actor's username (user_name), the request's
        // correlation id, and headers with the actor's and the owning account's ids and the request.
        opts.Events.MetadataConfig.UserNameEnabled = true;
        opts.Events.MetadataConfig.CorrelationIdEnabled = true;
        opts.Events.MetadataConfig.HeadersEnabled = true;
        opts.Events.IgnoreIndex(OwnerIndexName);
        opts.Events.IgnoreIndex(OwnerTypeIndexName);
        opts.Events.IgnoreIndex(PartyIndexName);
        foreach (var (type, name) in EventNames) opts.Events.MapEventType(type, name);

        // The domain's states, kept inline: what reads serve and writes decide on. Their tables keep the names of
        // the read models they replaced (mt_doc_instancedetails, mt_doc_accountdetails), with the same JSON, so a
        // database written before needs no rebuild.
        opts.Projections.Add(new StateProjection<Instance, IInstanceEvent>(InstanceProjection, "last_connection", "num_assigned_jobs", "num_running_jobs"),
            ProjectionLifecycle.Inline, ForRebuilds);
        opts.Projections.Add(new StateProjection<Account, IAccountEvent>(AccountProjection), ProjectionLifecycle.Inline, ForRebuilds);
        opts.Schema.For<Instance>().DocumentAlias("instancedetails");
        opts.Schema.For<Account>().DocumentAlias("accountdetails");
        opts.Projections.Add(new StateProjection<Function, IFunctionEvent>(FunctionProjection), ProjectionLifecycle.Inline, ForRebuilds);
        opts.Projections.Add(new StateProjection<Run, IRunEvent>(RunProjection), ProjectionLifecycle.Inline, ForRebuilds);
        opts.Projections.Add(new StateProjection<Job, IJobEvent>(JobProjection), ProjectionLifecycle.Inline, ForRebuilds);
        MarketplaceSchema.Configure(opts);
        AnalyticsProjections.Configure(opts);

        // Real columns for what the list filters and sorts on, and one index on both: the list is an index scan
        // in order, and a create writes one index entry for them, not two.
        opts.Policies.ForAllDocuments(mapping =>
        {
            if (mapping.DocumentType != typeof(Instance)) return;
            // Duplicated columns without an index each (Schema.For<T>().Duplicate always adds one).
            mapping.DuplicateField(nameof(Instance.AccountId));
            mapping.DuplicateField(nameof(Instance.CreatedAt), pgType: "timestamptz");
        });
        opts.Schema.For<Instance>().Index(x => new { x.AccountId, x.CreatedAt }, index => index.Name = InstanceListIndexName);
        opts.Schema.For<Account>().UniqueIndex(x => x.Username);
        opts.Schema.For<AccountCredentials>().UniqueIndex(x => x.KeyDigest);
        opts.Schema.For<GpuDocument>();
        opts.Schema.For<ImageDocument>();
    }
}
