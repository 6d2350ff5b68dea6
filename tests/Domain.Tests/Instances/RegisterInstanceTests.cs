using Sharedcloud.Es.Domain.Common;
using Sharedcloud.Es.Domain.Instances;
using Sharedcloud.Es.Domain.Instances.Registering;
using static Sharedcloud.Es.Domain.Tests.Instances.InstanceScenario;

namespace Sharedcloud.Es.Domain.Tests.Instances;

/// <summary>POST /instances/: no past events; when RegisterInstance, then one InstanceRegistered or field errors.</summary>
public class RegisterInstanceTests
{
    private static InstanceRegistered When(InstanceFields fields) =>
        RegisterInstance.Decide(new RegisterInstance(InstanceId, Owner, fields));

    [Fact]
    public void A_new_instance_is_cpu_with_one_parallel_job_by_default()
    {
        var e = When(Fields(name: Text("instance1"), askPrice: Price(0.02m)));

        Assert.Equal(new InstanceRegistered(InstanceId, Owner, "instance1", InstanceType.Cpu, null, 0.02m, 1), e);
    }

    [Fact]
    public void A_cpu_instance_keeps_the_max_num_parallel_jobs_it_was_given()
    {
        var e = When(Fields(name: Text("box"), askPrice: Price(1.5m), type: Type(InstanceType.Cpu), maxNumParallelJobs: ParallelJobs(3)));

        Assert.Equal(new InstanceRegistered(InstanceId, Owner, "box", InstanceType.Cpu, null, 1.5m, 3), e);
    }

    [Fact]
    public void A_cpu_instance_may_say_it_has_no_gpu_with_null()
    {
        var e = When(Fields(name: Text("box"), askPrice: Price(1.5m), gpu: Field<string>.Null));

        Assert.Equal(new InstanceRegistered(InstanceId, Owner, "box", InstanceType.Cpu, null, 1.5m, 1), e);
    }

    [Fact]
    public void A_gpu_instance_is_registered_with_its_catalog_gpu_and_one_job()
    {
        var e = When(Fields(name: Text("rig"), askPrice: Price(1.5m), type: Type(InstanceType.Gpu), gpu: Gpu(TitanV)));

        Assert.Equal(new InstanceRegistered(InstanceId, Owner, "rig", InstanceType.Gpu, TitanV, 1.5m, 1), e);
    }

    [Fact]
    public void A_gpu_instance_may_send_max_num_parallel_jobs_1()
    {
        var e = When(Fields(name: Text("rig"), askPrice: Price(1.5m), type: Type(InstanceType.Gpu), gpu: Gpu(TeslaK80),
            maxNumParallelJobs: ParallelJobs(1)));

        Assert.Equal(new InstanceRegistered(InstanceId, Owner, "rig", InstanceType.Gpu, TeslaK80, 1.5m, 1), e);
    }

    [Fact]
    public void A_gpu_uuid_in_upper_case_names_the_same_catalog_gpu()
    {
        var e = When(Fields(name: Text("rig"), askPrice: Price(1.5m), type: Type(InstanceType.Gpu),
            gpu: Gpu(TitanV.ToString().ToUpperInvariant())));

        Assert.Equal(TitanV, e.GpuId);
    }

    [Fact]
    public void A_gpu_instance_without_a_gpu_is_rejected() =>
        ThenRejects(() => When(Fields(name: Text("rig"), askPrice: Price(1.5m), type: Type(InstanceType.Gpu))),
            ("gpu", InstanceRules.GpuRequired));

    [Fact]
    public void A_gpu_instance_with_a_null_gpu_is_rejected() =>
        ThenRejects(() => When(Fields(name: Text("rig"), askPrice: Price(1.5m), type: Type(InstanceType.Gpu), gpu: Field<string>.Null)),
            ("gpu", InstanceRules.GpuRequired));

    [Fact]
    public void A_gpu_instance_with_a_blank_gpu_is_rejected() =>
        ThenRejects(() => When(Fields(name: Text("rig"), askPrice: Price(1.5m), type: Type(InstanceType.Gpu), gpu: Gpu(""))),
            ("gpu", InstanceRules.GpuRequired));

    [Fact]
    public void A_gpu_is_unnecessary_for_an_explicit_cpu_instance() =>
        ThenRejects(() => When(Fields(name: Text("box"), askPrice: Price(1.5m), type: Type(InstanceType.Cpu), gpu: Gpu(TitanV),
                maxNumParallelJobs: ParallelJobs(2))),
            ("gpu", InstanceRules.GpuUnnecessary));

    [Fact]
    public void A_gpu_is_unnecessary_when_the_type_defaults_to_cpu() =>
        ThenRejects(() => When(Fields(name: Text("box"), askPrice: Price(1.5m), gpu: Gpu(TitanV))),
            ("gpu", InstanceRules.GpuUnnecessary));

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void A_gpu_instance_can_only_process_one_job_at_a_time(int jobs) =>
        ThenRejects(() => When(Fields(name: Text("rig"), askPrice: Price(0.01m), type: Type(InstanceType.Gpu), gpu: Gpu(TitanV),
                maxNumParallelJobs: ParallelJobs(jobs))),
            ("max_num_parallel_jobs", InstanceRules.GpuSingleJob));

    [Fact]
    public void A_gpu_instance_without_gpu_and_with_several_jobs_gets_both_errors_at_once() =>
        ThenRejects(() => When(Fields(name: Text("rig"), askPrice: Price(1.5m), type: Type(InstanceType.Gpu), maxNumParallelJobs: ParallelJobs(3))),
            ("gpu", InstanceRules.GpuRequired),
            ("max_num_parallel_jobs", InstanceRules.GpuSingleJob));
}
