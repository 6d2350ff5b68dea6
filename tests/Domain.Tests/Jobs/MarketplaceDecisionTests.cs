using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Billing;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Functions;
using Sharedcloud.Es.Domain.Functions.Changing;
using Sharedcloud.Es.Domain.Functions.Creating;
using Sharedcloud.Es.Domain.Functions.Deleting;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Jobs;
using Sharedcloud.Es.Domain.Jobs.Code;
using Sharedcloud.Es.Domain.Jobs.Dispatching;
using Sharedcloud.Es.Domain.Jobs.Reporting;
using Sharedcloud.Es.Domain.Runs.Creating;
using Sharedcloud.Es.Domain.Runs.Deleting;
using Sharedcloud.Es.Domain.Runs;

namespace Sharedcloud.Es.Domain.Tests.Jobs;

/// <summary>Given events, when a command, then events: the job marketplace's decisions.</summary>
public sealed class MarketplaceDecisionTests
{
    private static readonly Guid Consumer = Guid.Parse("0190f0aa-0000-7000-8000-0000000000c1");
    private static readonly Guid Provider = Guid.Parse("0190f0aa-0000-7000-8000-0000000000b1");
    private static readonly Guid FunctionId = Guid.Parse("0190f0aa-0000-7000-8000-0000000000f1");
    private static readonly Guid RunId = Guid.Parse("0190f0aa-0000-7000-8000-0000000000e1");
    private static readonly Guid JobId = Guid.Parse("0190f0aa-0000-7000-8000-0000000000a1");
    private static readonly Guid InstanceId = Guid.Parse("0190f0aa-0000-7000-8000-0000000000d1");
    private static readonly Guid Python36 = Guid.Parse("24b3a0f8-c405-4928-954f-d5c93273f88a");
    private static readonly Guid Node8 = Guid.Parse("1a5111c1-17ee-459f-a4da-9c5272d86b1d");
    private static readonly Guid GpuImage = Guid.Parse("23ca880b-94fe-472c-b9cf-934ed8295872");
    private static readonly Guid TitanV = Guid.Parse("caf0daeb-ba23-4499-b4f9-8b4965714366");
    private static readonly Guid TeslaK80 = Guid.Parse("015ecae7-0715-4139-9d26-b0fccd0a3f31");
    private const string Crawler = "sharedcloud/web-crawling-python36:latest";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static T? Fold<T>(params object[] events) where T : class, IEvolving<T>
    {
        T? state = null;
        for (var i = 0; i < events.Length; i++) state = T.Evolve(state, events[i], Start.AddSeconds(i * 10));
        return state;
    }

    private static FunctionCreated Created(Guid? image = null, string code = "def handler(event):\n  return 1") =>
        new(FunctionId, Consumer, "f", image ?? Python36, code);

    private static JobCreated Queued(decimal bid = 2m, int cores = 0, bool gpu = false, int index = 0, long queue = 1) =>
        new(JobId, RunId, FunctionId, Consumer, "f", index, "(1,)", gpu ? "sharedcloud/tensorflow-gpu-python36:latest" : Crawler, gpu, bid, cores, queue);

    private static Instance Machine(decimal ask = 1.5m, int parallel = 2, Guid? gpu = null, string image = Crawler) =>
        Fold<Instance>(new InstanceRegistered(InstanceId, Provider, "m", gpu is null ? InstanceType.Cpu : InstanceType.Gpu, gpu, ask, parallel),
            new InstanceImageAdded(InstanceId, Guid.Empty, image), new InstanceStarted(InstanceId))!;

    private static ReportJob Report(JobStatus status, Guid? by = null, string output = "", DateTimeOffset? at = null) =>
        new(JobId, by ?? Provider, new ReportFields(Field<JobStatus>.Of(status), Field<string>.Of("logs"), Field<string>.Of(output),
            Field<string>.Of("")), at ?? Start.AddSeconds(100));

    [Fact]
    public void Creating_a_function_checks_the_handler_of_its_images_runtime()
    {
        var command = new CreateFunction(FunctionId, Consumer,
            new FunctionFields(Field<string>.Of("f"), Field<string>.Of(Node8.ToString()), Field<string>.Of("def handler(event):")));
        var refused = Assert.Throws<FieldErrorsException>(() => CreateFunction.Decide(command));
        Assert.Equal(["The code needs to have the following signature: function handler(event)"], refused.Errors.Items["code"]);
        var node = command with { Fields = command.Fields with { Code = Field<string>.Of("async function handler(event) {}") } };
        Assert.Equal(Node8, CreateFunction.Decide(node).ImageId);
    }

    [Fact]
    public void A_change_that_repeats_the_function_changes_nothing_and_a_new_image_is_checked_against_the_stored_code()
    {
        var state = Fold<Function>(Created());
        var same = new ChangeFunction(FunctionId, Consumer, false, new FunctionFields(Field<string>.Of("f"), default, default));
        Assert.Empty(ChangeFunction.Decide(same, state));
        var toNode = same with { Fields = new FunctionFields(default, Field<string>.Of(Node8.ToString()), default) };
        Assert.Throws<FieldErrorsException>(() => ChangeFunction.Decide(toNode, state));
        Assert.Throws<NotFoundException>(() => ChangeFunction.Decide(same with { AccountId = Provider }, state));
    }

    [Fact]
    public void A_run_makes_one_job_per_tuple_with_the_functions_snapshot_and_its_queue_position()
    {
        var function = Fold<Function>(Created());
        var command = new CreateRun(RunId, Consumer, new RunFields(Field<string>.Of(FunctionId.ToString()), Field<string>.Of("((1,), ('a', None))"),
            Field<decimal>.Of(2m), default));
        var ids = new Queue<Guid>([Guid.NewGuid(), Guid.NewGuid()]);
        var (run, jobs) = CreateRun.Decide(command, function, new RunMarket(5m, false, false), queue: 42, ids.Dequeue);

        Assert.Equal(2, run.NumJobs);
        Assert.Equal(function!.Code, run.Code);
        Assert.Equal(["(1,)", "('a', None)"], jobs.Select(j => j.Arguments));
        Assert.Equal([0, 1], jobs.Select(j => j.IncrementalId));
        Assert.All(jobs, j => Assert.Equal((42L, Crawler, 2m), (j.Queue, j.RegistryPath, j.BidPrice)));
    }

    [Fact]
    public void A_run_needs_a_balance_unless_exempt_and_a_base_gpu_exactly_for_gpu_images()
    {
        var cpu = Fold<Function>(Created());
        var gpu = Fold<Function>(Created(GpuImage));
        RunFields Fields(Guid? baseGpu) => new(Field<string>.Of(FunctionId.ToString()), Field<string>.Of("((1,),)"), Field<decimal>.Of(1m),
            baseGpu is { } g ? Field<string>.Of(g.ToString()) : default);
        string Refusal(Function? f, Guid? baseGpu, RunMarket market) =>
            Assert.Throws<FieldErrorsException>(() => CreateRun.Decide(new CreateRun(RunId, Consumer, Fields(baseGpu)), f, market, 1, Guid.NewGuid))
                .Errors.Items.Single().Value.Single();

        var rich = new RunMarket(1m, false, true);
        Assert.Equal(CreateRun.BalanceTooLow, Refusal(cpu, null, new RunMarket(0m, false, false)));
        Assert.Single(CreateRun.Decide(new CreateRun(RunId, Consumer, Fields(null)), cpu, new RunMarket(0m, true, false), 1, Guid.NewGuid).Jobs);
        Assert.Equal(CreateRun.BaseGpuRequired, Refusal(gpu, null, rich));
        Assert.Equal(CreateRun.BaseGpuUnnecessary, Refusal(cpu, TitanV, rich));
        Assert.Equal(CreateRun.BaseGpuUnavailable, Refusal(gpu, TitanV, rich with { BaseGpuAvailable = false }));
        Assert.Equal(5120, CreateRun.Decide(new CreateRun(RunId, Consumer, Fields(TitanV)), gpu, rich, 1, Guid.NewGuid).Jobs[0].BaseGpuCudaCores);
    }

    [Fact]
    public void Dispatch_takes_matching_jobs_oldest_first_up_to_the_free_capacity()
    {
        var machine = Machine(ask: 1.5m, parallel: 3);
        Job Candidate(Guid id, decimal bid, long queue, int index = 0) =>
            Fold<Job>(Queued(bid, queue: queue, index: index) with { JobId = id })!;
        var (a, b, c, low) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var candidates = new[] { Candidate(c, 2m, queue: 2), Candidate(low, 1.79m, queue: 1), Candidate(b, 1.8m, queue: 1, index: 1), Candidate(a, 5m, queue: 1) };

        var running = Held(Guid.NewGuid(), started: true);

        var assigned = Dispatch.Assign(machine, Holding.Of([running]), candidates);
        Assert.Equal([a, b], assigned.Select(x => x.JobId));
        Assert.All(assigned, x => Assert.Equal((InstanceId, Provider, 1.5m), (x.InstanceId, x.ProviderId, x.AskPrice)));
        Assert.Empty(Dispatch.Assign(machine with { Status = InstanceStatus.NotAvailable }, Holding.Nothing, candidates));
        Assert.Empty(Dispatch.Assign(Machine(image: "sharedcloud/standard-node8:latest"), Holding.Nothing, candidates));
    }

    [Fact]
    public void A_poll_answers_at_most_its_limit_its_unstarted_jobs_first_whatever_the_capacity()
    {
        var machine = Machine(ask: 1.5m, parallel: 1000);
        var queued = Enumerable.Range(0, 10).Select(i => Fold<Job>(Queued(2m, index: i) with { JobId = Guid.NewGuid() })!).ToList();
        var unstarted = new[] { Held(Guid.NewGuid(), started: false, index: 2), Held(Guid.NewGuid(), started: false, index: 1) };
        var running = Held(Guid.NewGuid(), started: true);

        Assert.Equal(4, Dispatch.Assign(machine, Holding.Nothing, queued, maxPerPoll: 4).Count);
        Assert.Equal(queued.Take(2).Select(j => j.Id), Dispatch.Assign(machine, Holding.Of([.. unstarted, running], 4), queued, maxPerPoll: 4).Select(a => a.JobId));
        var holding = Holding.Of([running, .. unstarted], maxPerPoll: 4);
        Assert.Equal((2, 1, 3), (holding.Unstarted, holding.Running, holding.Count));
        Assert.Equal([unstarted[1].Id, unstarted[0].Id, queued[0].Id], Dispatch.Answer(holding, [queued[0]], maxPerPoll: 4).Select(j => j.Id));
        Assert.Equal([unstarted[1].Id], Dispatch.Answer(holding, [queued[0]], maxPerPoll: 1).Select(j => j.Id));
        var few = Holding.Of(unstarted, maxPerPoll: 1); // counted all, kept the oldest
        Assert.Equal(2, few.Unstarted);
        Assert.Equal([unstarted[1].Id], few.OldestUnstarted.Select(j => j.Id));
        Assert.Equal(0, Dispatch.Room(machine, few, maxPerPoll: 2)); // answered again: no room for new ones
        Assert.Equal(1, Dispatch.Room(Machine(parallel: 3), few, maxPerPoll: 100)); // the capacity binds first
        Assert.Equal(100, Dispatch.Assign(machine, Holding.Nothing,
            Enumerable.Range(0, 150).Select(i => Fold<Job>(Queued(2m, index: i) with { JobId = Guid.NewGuid() })!)).Count); // the default
    }

    /// <summary>A job assigned to <see cref="Machine"/>, started or not.</summary>
    private static Job Held(Guid id, bool started, int index = 0)
    {
        var events = new List<object> { Queued(2m, index: index) with { JobId = id }, new JobAssigned(id, InstanceId, Provider, 1.5m) };
        if (started) events.Add(new JobStarted(id, InstanceId));
        return Fold<Job>([.. events])!;
    }

    [Fact]
    public void A_gpu_job_goes_only_to_a_gpu_at_least_as_strong_as_its_base()
    {
        var job = Fold<Job>(Queued(cores: 4992, gpu: true))!;
        var image = "sharedcloud/tensorflow-gpu-python36:latest";
        Assert.True(Dispatch.Matches(Machine(gpu: TitanV, image: image), job));
        Assert.True(Dispatch.Matches(Machine(gpu: TeslaK80, image: image), job));
        Assert.False(Dispatch.Matches(Machine(gpu: Guid.Parse("df7d2cbd-b0e8-4aa3-b82c-9ed6310adeab"), image: image), job));
        Assert.False(Dispatch.Matches(Machine(image: image), job)); // a CPU instance
    }

    [Fact]
    public void A_report_is_accepted_only_from_the_provider_and_only_in_order()
    {
        var assigned = Fold<Job>(Queued(), new JobAssigned(JobId, InstanceId, Provider, 1.5m))!;
        Assert.Throws<NotFoundException>(() => ReportJob.Decide(Report(JobStatus.InProgress, by: Consumer), assigned));
        Assert.Throws<NotFoundException>(() => ReportJob.Decide(Report(JobStatus.InProgress), Fold<Job>(Queued())));
        Assert.Equal([new JobStarted(JobId, InstanceId)], ReportJob.Decide(Report(JobStatus.InProgress), assigned).Job);
        var refused = Assert.Throws<FieldErrorsException>(() => ReportJob.Decide(Report(JobStatus.Succeeded), assigned));
        Assert.Equal(["A job that is CREATED cannot be reported SUCCEEDED."], refused.Errors.Items["status"]);

        var running = Job.Evolve(assigned, new JobStarted(JobId, InstanceId), Start.AddSeconds(30))!;
        Assert.Empty(ReportJob.Decide(Report(JobStatus.InProgress), running).Job);
        var released = Job.Evolve(running, new JobReleased(JobId, InstanceId, JobRelease.Stopped), Start.AddSeconds(40))!;
        Assert.True(released.IsQueued);
        Assert.Throws<NotFoundException>(() => ReportJob.Decide(Report(JobStatus.Succeeded), released));
    }

    [Fact]
    public void A_success_is_billed_by_whole_seconds_and_splits_into_cost_earnings_and_fee()
    {
        var running = Fold<Job>(Queued(), new JobAssigned(JobId, InstanceId, Provider, 1.5m))!;
        running = Job.Evolve(running, new JobStarted(JobId, InstanceId), Start.AddSeconds(20))!;
        var marker = WrappedCode.MarkerFor(JobId);
        var (job, money) = ReportJob.Decide(Report(JobStatus.Succeeded, output: $"hi\n\n{marker}\"42\"\n", at: Start.AddSeconds(30.9)), running);

        var finished = Assert.IsType<JobFinished>(Assert.Single(job));
        Assert.Equal(10, finished.Duration); // 10.9 s, rounded down
        Assert.Equal(("hi\n", "42"), (finished.Stdout, finished.Result));
        Assert.Equal(0.3m, finished.Cost); // 10 s x 1.5 x 1.2 / 60
        Assert.Equal(0.25m, finished.Earnings);
        Assert.Equal(finished.Cost, finished.Earnings + finished.Fee);
        Assert.Equal([new Elsewhere(Consumer, new AccountCharged(Consumer, JobId, 0.3m)), new Elsewhere(Provider, new AccountPaid(Provider, JobId, 0.25m))], money);

        var failed = ReportJob.Decide(Report(JobStatus.Failed, at: Start.AddSeconds(30.9)), running);
        Assert.Empty(failed.Accounts);
        Assert.Equal(0, Assert.IsType<JobFinished>(Assert.Single(failed.Job)).Cost);
    }

    [Fact]
    public void Prices_round_half_away_from_zero_and_a_job_costs_at_least_one_second()
    {
        Assert.Equal(1.8m, Prices.Shown(1.5m));
        Assert.Equal(0.013m, Prices.Shown(0.011m));
        var charge = Prices.ForJob(1, 0.025m); // 0.0005 and 0.000417
        Assert.Equal((0.001m, 0m, 0.001m), (charge.Cost, charge.Earnings, charge.Fee));
        var running = Fold<Job>(Queued(), new JobAssigned(JobId, InstanceId, Provider, 1.5m), new JobStarted(JobId, InstanceId))!;
        var finished = (JobFinished)ReportJob.Decide(Report(JobStatus.Timeout, at: running.StartedAt!.Value.AddMilliseconds(10)), running).Job[0];
        Assert.Equal(1, finished.Duration);
    }

    [Fact]
    public void Deleting_a_run_or_a_function_waits_for_running_jobs_and_cascades_otherwise()
    {
        var run = Fold<Run>(new RunCreated(RunId, Consumer, FunctionId, "f", Python36, "code", "((1,),)", 2m, null, 1, 1));
        var queued = Fold<Job>(Queued())!;
        var running = Fold<Job>(Queued(), new JobAssigned(JobId, InstanceId, Provider, 1.5m), new JobStarted(JobId, InstanceId))!;

        var refused = Assert.Throws<RefusedException>(() => DeleteRun.Decide(new DeleteRun(RunId, Consumer), run, [running]));
        Assert.Equal(Cascade.JobsInProgress, refused.Message);
        Assert.Throws<NotFoundException>(() => DeleteRun.Decide(new DeleteRun(RunId, Provider), run, [queued]));
        var (_, jobs) = DeleteRun.Decide(new DeleteRun(RunId, Consumer), run, [queued]);
        Assert.Equal([new Elsewhere(JobId, new JobDeleted(JobId))], jobs);

        var function = Fold<Function>(Created());
        Assert.Throws<RefusedException>(() => DeleteFunction.Decide(new DeleteFunction(FunctionId, Consumer), function, [RunId], [running]));
        var (deleted, cascade) = DeleteFunction.Decide(new DeleteFunction(FunctionId, Consumer), function, [RunId], [queued]);
        Assert.Equal(new FunctionDeleted(FunctionId), deleted);
        Assert.Equal([new Elsewhere(RunId, new RunDeleted(RunId)), new Elsewhere(JobId, new JobDeleted(JobId))], cascade);
    }

    [Fact]
    public void Balances_fold_credits_charges_and_payments_and_stopping_resets_the_counters()
    {
        var account = Fold<Account>(new AccountRegistered(Consumer, "c", "c@example.com"), new AccountCredited(Consumer, 5m),
            new AccountCharged(Consumer, JobId, 0.3m), new AccountPaid(Consumer, JobId, 0.25m))!;
        Assert.Equal(4.95m, account.Balance);
        var busy = Machine() with { NumAssignedJobs = 1, NumRunningJobs = 1 };
        var stopped = Instance.Evolve(busy, new InstanceStopped(InstanceId), Start)!;
        Assert.Equal((0, 0), (stopped.NumAssignedJobs, stopped.NumRunningJobs));
    }
}
