using Sharedcloud.Es.Api.Infrastructure;
using Sharedcloud.Es.Domain.Instances;

namespace Sharedcloud.Es.Api.Instances;

/// <summary>The instance fields of a request body (create, PUT, PATCH), as sent.</summary>
public static class InstanceForms
{
    public static InstanceFields Read(RequestBody body) => new(
        Name: body.Text("name"),
        AskPrice: body.Decimal("ask_price"),
        Type: body.InstanceType("type", required: false), // optional with a default: an empty form value is not given
        Gpu: body.Reference("gpu"),
        MaxNumParallelJobs: body.Integer("max_num_parallel_jobs", required: false));
}
