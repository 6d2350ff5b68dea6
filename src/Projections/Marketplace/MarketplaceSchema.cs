using System.Reflection;
using Marten;
using Marten.Schema;
using Sharedcloud.Es.Domain.Functions;
using Sharedcloud.Es.Domain.Jobs;
using Sharedcloud.Es.Domain.Runs;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Sharedcloud.Es.Projections.Marketplace;

/// <summary>
/// The consumers' side of the store: the function, run and job documents (the domain's states, inline), the real
/// columns their queries filter and sort on, and the indexes that keep the machine's poll cheap however long the
/// queue. The raw SQL of dispatch and of the counters names these columns (<see cref="Columns"/>).
/// </summary>
public static class MarketplaceSchema
{
    public const string FunctionTable = MartenConfiguration.Schema + ".mt_doc_function";
    public const string RunTable = MartenConfiguration.Schema + ".mt_doc_run";
    public const string JobTable = MartenConfiguration.Schema + ".mt_doc_job";

    /// <summary>The run queue's sequence: a run's place in the queue, taken when it is created and kept in its event.</summary>
    public const string QueueSequence = MartenConfiguration.Schema + ".run_queue";

    /// <summary>Column names of the duplicated fields.</summary>
    public static class Columns
    {
        public const string AccountId = "account_id", RunId = "run_id", FunctionId = "function_id", Status = "status",
            InstanceId = "instance_id", RegistryPath = "registry_path", BidPrice = "bid_price",
            BaseGpuCudaCores = "base_gpu_cuda_cores", Queue = "queue", IncrementalId = "incremental_id", CreatedAt = "created_at";
    }

    public static void Configure(StoreOptions opts)
    {
        opts.Schema.For<Function>().DocumentAlias("function");
        opts.Schema.For<Run>().DocumentAlias("run");
        opts.Schema.For<Job>().DocumentAlias("job");
        opts.Storage.ExtendedSchemaObjects.Add(new Sequence(new PostgresqlObjectName(MartenConfiguration.Schema, "run_queue", SchemaUtils.IdentifierUsage.General)));

        opts.Policies.ForAllDocuments(mapping =>
        {
            if (mapping.DocumentType == typeof(Function))
            {
                Duplicate<Function>(mapping, nameof(Function.AccountId), "uuid", Columns.AccountId);
                Duplicate<Function>(mapping, nameof(Function.CreatedAt), "timestamptz", Columns.CreatedAt);
                Index(mapping, "mt_doc_function_idx_account_created", [Columns.AccountId, Columns.CreatedAt]);
            }
            else if (mapping.DocumentType == typeof(Run))
            {
                Duplicate<Run>(mapping, nameof(Run.AccountId), "uuid", Columns.AccountId);
                Duplicate<Run>(mapping, nameof(Run.FunctionId), "uuid", Columns.FunctionId);
                Duplicate<Run>(mapping, nameof(Run.Queue), "bigint", Columns.Queue);
                Index(mapping, "mt_doc_run_idx_account_queue", [Columns.AccountId, Columns.Queue]);
                Index(mapping, "mt_doc_run_idx_function", [Columns.FunctionId]);
            }
            else if (mapping.DocumentType == typeof(Job))
            {
                Duplicate<Job>(mapping, nameof(Job.AccountId), "uuid", Columns.AccountId);
                Duplicate<Job>(mapping, nameof(Job.RunId), "uuid", Columns.RunId);
                Duplicate<Job>(mapping, nameof(Job.FunctionId), "uuid", Columns.FunctionId);
                Duplicate<Job>(mapping, nameof(Job.Status), "integer", Columns.Status);
                Duplicate<Job>(mapping, nameof(Job.InstanceId), "uuid", Columns.InstanceId);
                Duplicate<Job>(mapping, nameof(Job.RegistryPath), "varchar", Columns.RegistryPath);
                Duplicate<Job>(mapping, nameof(Job.BidPrice), "numeric", Columns.BidPrice);
                Duplicate<Job>(mapping, nameof(Job.BaseGpuCudaCores), "integer", Columns.BaseGpuCudaCores);
                Duplicate<Job>(mapping, nameof(Job.Queue), "bigint", Columns.Queue);
                Duplicate<Job>(mapping, nameof(Job.IncrementalId), "integer", Columns.IncrementalId);
                // The queue: a poll asks "anything of my images that bids at least my price?", an index range however
                // many jobs wait for other images or at lower bids.
                Index(mapping, "mt_doc_job_idx_queue", [Columns.RegistryPath, Columns.BidPrice],
                    $"{Columns.Status} = {(int)JobStatus.Created} and {Columns.InstanceId} is null");
                // The jobs an instance holds (its capacity, and its unstarted jobs answered again).
                Index(mapping, "mt_doc_job_idx_held", [Columns.InstanceId],
                    $"{Columns.Status} in ({(int)JobStatus.Created}, {(int)JobStatus.InProgress}) and {Columns.InstanceId} is not null");
                // The consumer's list, newest first.
                Index(mapping, "mt_doc_job_idx_account_queue", [Columns.AccountId, Columns.Queue, Columns.IncrementalId]);
                Index(mapping, "mt_doc_job_idx_run", [Columns.RunId]);
                Index(mapping, "mt_doc_job_idx_function", [Columns.FunctionId]);
            }
        });
    }

    private static void Duplicate<T>(DocumentMapping mapping, string member, string pgType, string column) =>
        mapping.DuplicateField([typeof(T).GetProperty(member, BindingFlags.Public | BindingFlags.Instance)!], pgType, column);

    private static void Index(DocumentMapping mapping, string name, string[] columns, string? predicate = null) =>
        mapping.Indexes.Add(new IndexDefinition(name) { Columns = columns, Predicate = predicate });
}
