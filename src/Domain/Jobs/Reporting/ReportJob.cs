using FluentValidation;
using Mediator;
using Sharedcloud.Es.Domain.Accounts;
using Sharedcloud.Es.Domain.Billing;
using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Jobs.Code;

namespace Sharedcloud.Es.Domain.Jobs.Reporting;

/// <summary>The fields of a machine's report (PATCH /jobs/&lt;uuid&gt;/), as sent: NUL characters already dropped.</summary>
public sealed record ReportFields(Field<JobStatus> Status, Field<string> BuildLogs, Field<string> Output, Field<string> Error);

/// <summary>
/// The provider's machine reports on a job it holds: IN_PROGRESS, then SUCCEEDED or FAILED with what it printed, or
/// TIMEOUT. Accepted only from the owner of the instance the job is assigned to (anyone else: 404), at <paramref name="At"/>.
/// </summary>
public sealed record ReportJob(Guid JobId, Guid AccountId, ReportFields Fields, DateTimeOffset At) : ICommand<Job>
{
    /// <summary>Each text field's limit, in UTF-8 bytes.</summary>
    public const int MaxTextBytes = 1024 * 1024;

    public static string CannotBecome(JobStatus from, JobStatus to) =>
        $"A job that is {Name(from)} cannot be reported {Name(to)}.";

    public static string Name(JobStatus status) => status switch
    {
        JobStatus.Created => "CREATED",
        JobStatus.InProgress => "IN_PROGRESS",
        JobStatus.Succeeded => "SUCCEEDED",
        JobStatus.Failed => "FAILED",
        _ => "TIMEOUT",
    };

    /// <summary>The job's events, and the moves of money its outcome makes on the two accounts' streams.</summary>
    public static (IReadOnlyList<object> Job, IReadOnlyList<Elsewhere> Accounts) Decide(ReportJob command, Job? state)
    {
        if (state is null || !state.IsReportableBy(command.AccountId) || state.InstanceId is not { } instanceId)
            throw new NotFoundException();
        var to = command.Fields.Status.Value;
        var from = state.Status;
        switch (to)
        {
            case JobStatus.InProgress when from == JobStatus.InProgress:
                return ([], []); // the machine said it again: nothing changes
            case JobStatus.InProgress when from == JobStatus.Created:
                return ([new JobStarted(state.Id, instanceId)], []);
            case JobStatus.Succeeded or JobStatus.Failed or JobStatus.Timeout when from == JobStatus.InProgress:
                return Finish(command, state, instanceId, to);
            default:
                throw new FieldErrorsException(FieldErrors.For("status", CannotBecome(from, to)));
        }
    }

    private static (IReadOnlyList<object>, IReadOnlyList<Elsewhere>) Finish(ReportJob command, Job state, Guid instanceId, JobStatus to)
    {
        var f = command.Fields;
        var duration = Math.Max(1, (long)Math.Floor((command.At - state.StartedAt!.Value).TotalSeconds));
        var charge = to == JobStatus.Failed ? Charge.None : Prices.ForJob(duration, state.AskPrice ?? 0);
        var (stdout, result) = JobOutput.Split(f.Output.Or(""), WrappedCode.MarkerFor(state.Id));
        var finished = new JobFinished(state.Id, instanceId, to, command.At, duration, f.BuildLogs.Or(""), stdout, f.Error.Or(""),
            result, charge.Cost, charge.Earnings, charge.Fee);
        var money = new List<Elsewhere>();
        if (charge.Cost != 0) money.Add(new Elsewhere(state.AccountId, new AccountCharged(state.AccountId, state.Id, charge.Cost)));
        if (charge.Earnings != 0) money.Add(new Elsewhere(state.ProviderId!.Value, new AccountPaid(state.ProviderId.Value, state.Id, charge.Earnings)));
        return ([finished], money);
    }
}

/// <summary>The report's shape: a status the API knows (required); text fields may be empty.</summary>
public sealed class ReportJobValidator : AbstractValidator<ReportJob>
{
    public ReportJobValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        RuleFor(x => x.Fields.Status).Sent(required: true).OverridePropertyName("status");
        RuleFor(x => x.Fields.BuildLogs).Sent(required: false, blankable: true).OverridePropertyName("build_logs");
        RuleFor(x => x.Fields.Output).Sent(required: false, blankable: true).OverridePropertyName("output");
        RuleFor(x => x.Fields.Error).Sent(required: false, blankable: true).OverridePropertyName("error");
    }
}
