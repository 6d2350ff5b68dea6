using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace Sharedcloud.Es.Api.Documentation;

// Shapes that exist only for the OpenAPI document: the endpoints read these bodies field by field
// (RequestBody) and write the event lists by hand (EventLog), so there is no type to infer them from.
// OpenApiDocumentTests hold some of them to the API's answers (the instance form, the event shapes).

[Description("A new account.")]
public sealed class SignUpForm
{
    [MaxLength(150), Description("Letters, digits and @/./+/-/_; unique.")]
    public required string Username { get; init; }

    [MaxLength(254)]
    public required string Email { get; init; }

    [MaxLength(4096), Description("Kept as typed (not trimmed); must pass Django's default password validators.")]
    public required string Password { get; init; }
}

[Description("The account's credentials, traded for its API key.")]
public sealed class LoginForm
{
    public required string Username { get; init; }

    public required string Password { get; init; }
}

[Description("The fields to change; any change rotates the API key (the response of the next login carries the new one).")]
public sealed class AccountChangeForm
{
    [MaxLength(150)]
    public string? Username { get; init; }

    [MaxLength(254)]
    public string? Email { get; init; }

    [MaxLength(4096)]
    public string? Password { get; init; }
}

[Description("An instance's fields: `name` and `ask_price` are required, the others keep their values (or defaults) when omitted.")]
public sealed class InstanceForm
{
    [MaxLength(255)]
    public required string Name { get; init; }

    [Description("At most 10 digits, 3 after the point; at least 0.001. A number, or a string holding one.")]
    public required decimal AskPrice { get; init; }

    [Description("1 or `cpu` (the default), 2 or `gpu`; in any case.")]
    public string? Type { get; init; }

    [Description("The GPU's uuid (`GET /api/v1/gpus/`): required for a GPU instance, refused for a CPU one.")]
    public Guid? Gpu { get; init; }

    [Range(1, int.MaxValue), Description("1 by default; a GPU instance runs one job at a time, so 1 is all it takes.")]
    public int? MaxNumParallelJobs { get; init; }
}

[Description("Any of an instance's fields; omitted fields keep their values.")]
public sealed class InstanceChangesForm
{
    [MaxLength(255)]
    public string? Name { get; init; }

    [Description("At most 10 digits, 3 after the point; at least 0.001. A number, or a string holding one.")]
    public decimal? AskPrice { get; init; }

    [Description("1 or `cpu`, 2 or `gpu`; in any case.")]
    public string? Type { get; init; }

    [Description("The GPU's uuid: required when the instance becomes a GPU instance, refused for a CPU one; `null` or blank removes it.")]
    public Guid? Gpu { get; init; }

    [Range(1, int.MaxValue), Description("A GPU instance runs one job at a time, so 1 is all it takes.")]
    public int? MaxNumParallelJobs { get; init; }
}

[Description("An image of the catalog (`GET /api/v1/images/`), by its registry path.")]
public sealed class ImageForm
{
    [Description("For example `sharedcloud/web-crawler:python-2.7`.")]
    public required string ImageRegistryPath { get; init; }
}

[Description("Who made a change: the account and its username at the time. `null` for changes the service made itself.")]
public sealed record EventActor(Guid Uuid, string Username);

[Description("One event of an instance's history.")]
public sealed record InstanceEvent(
    [property: Description("The instance's version after this event (1 for its creation).")] long Version,
    [property: Description("The event's name, e.g. `instance_price_changed`.")] string Type,
    DateTimeOffset Timestamp,
    [property: Description("When the event was recorded, to the microsecond (ISO 8601, UTC).")] DateTime RecordedAt,
    EventActor? Actor,
    string? CorrelationId,
    [property: Description("The event as stored, in snake_case, without the id of its stream.")] Dictionary<string, JsonElement> Data);

[Description("One event of the caller's audit feed: an event of their account or of one of their instances.")]
public sealed record FeedEvent(
    [property: Description("`instance` or `account`.")] string Stream,
    [property: Description("The instance's or the account's uuid.")] Guid StreamId,
    [property: Description("The stream's version after this event.")] long Version,
    [property: Description("The event's name, e.g. `account_email_changed`.")] string Type,
    DateTimeOffset Timestamp,
    [property: Description("When the event was recorded, to the microsecond (ISO 8601, UTC).")] DateTime RecordedAt,
    EventActor? Actor,
    string? CorrelationId,
    [property: Description("The event as stored, in snake_case, without the id of its stream.")] Dictionary<string, JsonElement> Data);

[Description("A function: code that defines the handler its image's runtime calls.")]
public sealed class FunctionForm
{
    [MaxLength(255)]
    public required string Name { get; init; }

    [Description("The image's uuid (`GET /api/v1/images/`): fixes the runtime and whether a GPU is needed.")]
    public required Guid Image { get; init; }

    [Description("Stored exactly as sent. Python: `def handler(event):`; node8: `function handler(event)`.")]
    public required string Code { get; init; }
}

[Description("Any of a function's fields; omitted fields keep their values.")]
public sealed class FunctionChangesForm
{
    [MaxLength(255)]
    public string? Name { get; init; }

    public Guid? Image { get; init; }

    public string? Code { get; init; }
}

[Description("A run of one of the caller's functions.")]
public sealed class RunForm
{
    public required Guid Function { get; init; }

    [Description("A tuple of tuples in Python literal syntax, e.g. `((1,), (2,))`: one job per tuple, passed to the handler as its `event`.")]
    public required string Parameters { get; init; }

    [Description("The most paid per minute (at least 0.001, 3 decimals): a job goes only to instances whose consumer price is at most this.")]
    public required decimal BidPrice { get; init; }

    [Description("For GPU images (and only for them): the weakest acceptable GPU.")]
    public Guid? BaseGpu { get; init; }
}

[Description("A machine's report on a job it holds.")]
public sealed class JobReportForm
{
    [Description("2 IN_PROGRESS (started), 3 SUCCEEDED, 4 FAILED, 5 TIMEOUT.")]
    public required int Status { get; init; }

    [Description("The build's log (docker pull); kept with 3, 4 and 5.")]
    public string? BuildLogs { get; init; }

    [Description("The container's stdout: the result line is taken out of it into `result`.")]
    public string? Output { get; init; }

    [Description("The container's stderr.")]
    public string? Error { get; init; }
}
