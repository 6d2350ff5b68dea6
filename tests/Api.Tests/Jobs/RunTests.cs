using Sharedcloud.Es.Api.Tests.Infrastructure;
using static Sharedcloud.Es.Api.Tests.Jobs.MarketplaceKit;

namespace Sharedcloud.Es.Api.Tests.Jobs;

/// <summary>/api/v1/runs/: parameters, prices, GPUs and balances, with production's messages.</summary>
public sealed class RunTests(MarketplaceApiFactory factory) : MarketplaceTest(factory)
{
    private const string TupleOfTuples = """{"parameters":["Enter a tuple of tuples, such as ((1,), (2,))."]}""";

    [Fact]
    public async Task A_run_keeps_its_parameters_as_sent_and_makes_one_job_per_tuple_in_order()
    {
        var john = await Api.NewBetaAccountAsync();
        var function = await john.CreateFunctionAsync();
        const string parameters = "((1, 'a'), (2.5, None),\n (True, [1, (2,)]),)";
        var run = await john.CreateRunAsync(function, parameters, bid: "0.5");

        Assert.Equal(["uuid", "function", "function_name", "parameters", "bid_price", "base_gpu", "base_gpu_name", "num_jobs", "created_at",
            "current_server_time"], run.Select(p => p.Key));
        Assert.Equal(parameters, run["parameters"]!.GetValue<string>());
        Assert.Equal(0.5m, run["bid_price"]!.GetValue<decimal>());
        Assert.Equal("n/a", run["base_gpu_name"]!.GetValue<string>());
        Assert.Null(run["base_gpu"]);
        Assert.Equal(3, run["num_jobs"]!.GetValue<int>());

        var jobs = await john.JobsAsync();
        Assert.Equal(["(True, [1, (2,)])", "(2.5, None)", "(1, 'a')"], jobs.Select(j => j!["arguments"]!.GetValue<string>()));
        Assert.All(jobs, j =>
        {
            Assert.Equal(Uuid(run), j!["run"]!.GetValue<string>());
            Assert.Equal("hello", j["function_name"]!.GetValue<string>());
            Assert.Equal(0, j["cost"]!.GetValue<decimal>());
            Assert.Null(j["instance"]);
            Assert.Null(j["duration"]);
            Assert.Equal("", j["result"]!.GetValue<string>());
        });

        // A later run's jobs come first, also within the same second.
        var later = await john.CreateRunAsync(function, "((9,),)");
        Assert.Equal(Uuid(later), (await john.JobsAsync())[0]!["run"]!.GetValue<string>());
        Assert.Equal([Uuid(later), Uuid(run)], (await john.GetAsync("/api/v1/runs/")).EnsureStatus(200).Array.Select(r => Uuid(r!)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("(1, 2)")]
    [InlineData("((1,), 2)")]
    [InlineData("()")]
    [InlineData("((1,)")]
    [InlineData("((__import__('os'),),)")]
    [InlineData("({'a': 1},)")]
    public async Task Parameters_that_are_not_a_tuple_of_tuples_are_400(string parameters)
    {
        var john = await Api.NewBetaAccountAsync();
        var function = await john.CreateFunctionAsync();
        var reply = await john.PostFormAsync("/api/v1/runs/", ("function", function), ("parameters", parameters), ("bid_price", "1"));
        if (parameters.Length == 0) reply.Is(400, """{"parameters":["This field may not be blank."]}""");
        else reply.Is(400, TupleOfTuples);
        Assert.Empty(await john.JobsAsync());
    }

    [Fact]
    public async Task More_than_ten_thousand_jobs_are_refused()
    {
        var john = await Api.NewBetaAccountAsync();
        var function = await john.CreateFunctionAsync();
        var parameters = "(" + string.Concat(Enumerable.Repeat("(1,),", 10_001)) + ")";
        (await john.PostFormAsync("/api/v1/runs/", ("function", function), ("parameters", parameters), ("bid_price", "1"))).Is(400, TupleOfTuples);
    }

    [Fact]
    public async Task Prices_functions_gpus_and_balances_are_judged_with_productions_messages()
    {
        var john = await Api.NewBetaAccountAsync();
        var poor = await Api.NewAccountAsync();
        var cpu = await john.CreateFunctionAsync();
        var gpu = await john.CreateFunctionAsync(Python36Gpu);

        (await john.PostFormAsync("/api/v1/runs/", ("function", cpu), ("parameters", "((1,),)"), ("bid_price", "0.0001"))).Is(400,
            """{"bid_price":["This field cannot be smaller than $0.001"]}""");
        (await john.PostFormAsync("/api/v1/runs/")).Is(400,
            """{"function":["This field is required."],"parameters":["This field is required."],"bid_price":["This field is required."]}""");
        var foreign = await poor.CreateFunctionAsync();
        (await john.PostFormAsync("/api/v1/runs/", ("function", foreign), ("parameters", "((1,),)"), ("bid_price", "1"))).Is(400,
            $$"""{"function":["Invalid pk \"{{foreign}}\" - object does not exist."]}""");
        // Every failing field at once: an unknown function beside the other fields' errors.
        (await john.PostFormAsync("/api/v1/runs/", ("function", foreign), ("parameters", "x"), ("bid_price", "0.0001"))).Is(400,
            $$"""{"function":["Invalid pk \"{{foreign}}\" - object does not exist."],"parameters":["Enter a tuple of tuples, such as ((1,), (2,))."],"bid_price":["This field cannot be smaller than $0.001"]}""");
        (await john.PostFormAsync("/api/v1/runs/", ("function", "nope"), ("parameters", "((1,),)"), ("bid_price", "1"), ("base_gpu", "x"))).Is(400,
            """{"function":["Invalid pk \"nope\" - object does not exist."],"base_gpu":["Invalid pk \"x\" - object does not exist."]}""");
        (await john.PostFormAsync("/api/v1/runs/", ("function", cpu), ("parameters", "x"), ("bid_price", "1"))).Is(400, TupleOfTuples);
        (await john.PostFormAsync("/api/v1/runs/", ("function", gpu), ("parameters", "((1,),)"), ("bid_price", "1"))).Is(400,
            """{"base_gpu":["this run uses an image that requires GPU. Therefore this field is mandatory"]}""");
        (await john.PostFormAsync("/api/v1/runs/", ("function", cpu), ("parameters", "((1,),)"), ("bid_price", "1"), ("base_gpu", TitanV))).Is(400,
            """{"base_gpu":["This field is unnecessary because the function is not using an image that requires GPU"]}""");
        (await john.PostFormAsync("/api/v1/runs/", ("function", gpu), ("parameters", "((1,),)"), ("bid_price", "1"), ("base_gpu", TitanV))).Is(400,
            """{"base_gpu":["this GPU model is currently not available"]}""");

        // A stronger GPU on the market makes a weaker base GPU available.
        var provider = await Api.NewAccountAsync();
        await provider.StartMachineAsync(parallel: 1, imagePath: Python36GpuPath, gpu: TitanV);
        var run = await john.CreateRunAsync(gpu, "((1,),)", baseGpu: TeslaK80);
        Assert.Equal(TeslaK80, run["base_gpu"]!.GetValue<string>());
        Assert.Equal("Nvidia Tesla K80 24GB", run["base_gpu_name"]!.GetValue<string>());

        (await poor.PostFormAsync("/api/v1/runs/", ("function", foreign), ("parameters", "((1,),)"), ("bid_price", "1"))).Is(400,
            """{"non_field_errors":["you need a balance higher than 0 to create new runs"]}""");
        Assert.Empty(await poor.JobsAsync());
    }

    [Fact]
    public async Task Runs_are_immutable_and_others_runs_do_not_exist()
    {
        var john = await Api.NewBetaAccountAsync();
        var mallory = await Api.NewAccountAsync();
        var run = Uuid(await john.CreateRunAsync(await john.CreateFunctionAsync()));
        (await john.SendFormAsync(HttpMethod.Patch, $"/api/v1/runs/{run}/", ("bid_price", "3"))).Is(405, """{"detail":"Method \"PATCH\" not allowed."}""");
        (await john.SendFormAsync(HttpMethod.Put, $"/api/v1/runs/{run}/", ("bid_price", "3"))).EnsureStatus(405);
        (await mallory.GetAsync($"/api/v1/runs/{run}/")).EnsureStatus(404);
        (await mallory.DeleteAsync($"/api/v1/runs/{run}/")).EnsureStatus(404);
        Assert.Empty(await mallory.JobsAsync());
        var job = Uuid((await john.JobsAsync())[0]!);
        (await mallory.GetAsync($"/api/v1/jobs/{job}/")).EnsureStatus(404);
        (await john.GetAsync($"/api/v1/jobs/{job}/")).EnsureStatus(200);

        (await john.DeleteAsync($"/api/v1/runs/{run}/")).EnsureStatus(204);
        Assert.Empty(await john.JobsAsync());
        Assert.Equal(["run_created", "run_deleted"],
            (await john.GetAsync($"/api/v1/runs/{run}/events/")).EnsureStatus(200).Array.Select(e => e!["type"]!.GetValue<string>()));
    }
}
