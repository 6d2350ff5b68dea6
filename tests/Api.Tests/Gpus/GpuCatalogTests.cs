using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;

namespace Sharedcloud.Es.Api.Tests.Gpus;

/// <summary>GET /api/v1/gpus/ and /api/v1/gpus/&lt;uuid&gt;/: the production catalog, most CUDA cores first.</summary>
public sealed class GpuCatalogTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string TitanV = "caf0daeb-ba23-4499-b4f9-8b4965714366";
    private const string CatalogDate = "25-09-2018 12:07:42";

    /// <summary>The production catalog (data/gpus.json), in production's order.</summary>
    private static readonly (string Uuid, string Name, string Codename, int CudaCores)[] Catalog =
    [
        (TitanV, "Nvidia Titan V 12GB", "titanv", 5120),
        ("015ecae7-0715-4139-9d26-b0fccd0a3f31", "Nvidia Tesla K80 24GB", "teslak80", 4992),
        ("8ea0a9aa-a641-40ed-897c-b427b7431334", "Nvidia Titan Xp 12GB", "titanxp", 3840),
        ("df7d2cbd-b0e8-4aa3-b82c-9ed6310adeab", "Nvidia GeForce GTX 1080 Ti 11GB", "1080_ti", 3584),
        ("9dc625b5-5734-43d6-831c-01f4b6706b0a", "Nvidia Titan X 12GB", "titanx", 3072),
        ("dacd8544-bbf1-4f89-ad14-532449385229", "Nvidia GeForce GTX 1080 8GB", "1080", 2560),
        ("2a595b48-6bc0-4f2e-8db4-89ffba92f2b9", "Nvidia GeForce GTX 1070 8GB", "1070", 1920),
        ("587a84fa-cc51-4a9e-ad26-d2c9d8ac4533", "Nvidia GeForce GTX 1060 6GB", "1060", 1280),
    ];

    public static TheoryData<string> CatalogUuids => new(Catalog.Select(g => g.Uuid));

    /// <summary>The expected object; current_server_time is taken from the actual one after checking its format.</summary>
    private static JsonObject Expected(int index, JsonNode? actual)
    {
        var (uuid, name, codename, cudaCores) = Catalog[index];
        var o = Assert.IsType<JsonObject>(actual);
        TestHelpers.Timestamp(o["current_server_time"]);
        return new JsonObject
        {
            ["uuid"] = uuid, ["name"] = name, ["codename"] = codename, ["cuda_cores"] = cudaCores,
            ["is_available"] = false, ["created_at"] = CatalogDate,
            ["current_server_time"] = o["current_server_time"]!.GetValue<string>(),
        };
    }

    [Fact]
    public async Task The_catalog_lists_the_eight_production_GPUs_most_cuda_cores_first()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).GetAsync("/api/v1/gpus/");

        reply.EnsureStatus(200).IsCompactUtf8Json();
        var list = reply.Array;
        Assert.Equal(8, list.Count);
        for (var i = 0; i < list.Count; i++)
            Assert.True(JsonNode.DeepEquals(Expected(i, list[i]), list[i]), $"GPU #{i}: expected {Expected(i, list[i])}, got {list[i]}");
        var cores = list.Select(g => g!["cuda_cores"]!.GetValue<int>()).ToList();
        Assert.Equal(cores.OrderByDescending(c => c), cores);
    }

    [Fact]
    public async Task Each_GPU_has_exactly_the_documented_fields()
    {
        var john = await api.NewAccountAsync();
        var list = (await api.WithKey(john.Key).GetAsync("/api/v1/gpus/")).EnsureStatus(200).Array;
        Assert.All(list, g => Assert.Equal(
            ["uuid", "name", "codename", "cuda_cores", "is_available", "created_at", "current_server_time"],
            g!.AsObject().Keys()));
        Assert.All(list, g => Assert.Equal(System.Text.Json.JsonValueKind.Number, g!["cuda_cores"]!.GetValueKind()));
        Assert.All(list, g => Assert.Equal(System.Text.Json.JsonValueKind.False, g!["is_available"]!.GetValueKind()));
    }

    [Theory]
    [MemberData(nameof(CatalogUuids))]
    public async Task A_single_GPU_is_read_by_its_uuid(string uuid)
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).GetAsync($"/api/v1/gpus/{uuid}/");

        reply.EnsureStatus(200).IsCompactUtf8Json();
        var index = Array.FindIndex(Catalog, g => g.Uuid == uuid);
        reply.Is(200, Expected(index, reply.Json));
    }

    [Fact]
    public async Task The_Titan_V_keeps_its_production_uuid()
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).GetAsync($"/api/v1/gpus/{TitanV}/");
        Assert.Equal("Nvidia Titan V 12GB", reply.EnsureStatus(200).Object["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/api/v1/gpus/00000000-0000-0000-0000-000000000000/")]
    [InlineData("/api/v1/gpus/6baf15c3-5fb1-4312-b793-fc7d19629a7f/")]
    [InlineData("/api/v1/gpus/not-a-uuid/")]
    [InlineData("/api/v1/gpus/titanv/")]
    public async Task An_unknown_or_malformed_GPU_uuid_is_404(string url)
    {
        var john = await api.NewAccountAsync();
        (await api.WithKey(john.Key).GetAsync(url)).Is(404, """{"detail":"Not found."}""");
    }

    [Fact]
    public async Task A_GPU_with_only_a_not_available_instance_is_not_available()
    {
        var john = await api.NewAccountAsync();
        var client = api.WithKey(john.Key);
        var instance = await client.CreateInstanceAsync(("name", "gpu box"), ("ask_price", "1"), ("type", "gpu"), ("gpu", TitanV));
        Assert.Equal(1, instance["status"]!.GetValue<int>()); // NOT_AVAILABLE

        var titan = (await client.GetAsync($"/api/v1/gpus/{TitanV}/")).EnsureStatus(200).Object;
        Assert.False(titan["is_available"]!.GetValue<bool>());
        var list = (await client.GetAsync("/api/v1/gpus/")).EnsureStatus(200).Array;
        Assert.All(list, g => Assert.False(g!["is_available"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task Every_account_sees_the_same_catalog()
    {
        var john = await api.NewAccountAsync();
        var jane = await api.NewAccountAsync();
        var johns = (await api.WithKey(john.Key).GetAsync("/api/v1/gpus/")).EnsureStatus(200).Array;
        var janes = (await api.WithKey(jane.Key).GetAsync("/api/v1/gpus/")).EnsureStatus(200).Array;
        Assert.Equal(johns.Select(g => g!["uuid"]!.GetValue<string>()), janes.Select(g => g!["uuid"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("/api/v1/gpus/")]
    [InlineData("/api/v1/gpus")]
    [InlineData("/api/v1/gpus/" + TitanV + "/")]
    public async Task The_catalog_requires_authentication(string url)
    {
        (await api.Client().GetAsync(url)).IsUnauthorized("Authentication credentials were not provided.");
        (await api.WithKey("0123456789abcdef0123456789abcdef01234567").GetAsync(url)).IsUnauthorized("Invalid token.");
    }

    [Theory]
    [InlineData("POST", "/api/v1/gpus/")]
    [InlineData("PUT", "/api/v1/gpus/" + TitanV + "/")]
    [InlineData("DELETE", "/api/v1/gpus/" + TitanV + "/")]
    public async Task The_catalog_is_read_only(string method, string url)
    {
        var john = await api.NewAccountAsync();
        var reply = await api.WithKey(john.Key).SendAsync(new HttpMethod(method), url, null);
        reply.EnsureStatus(405);
        Assert.Equal($$"""{"detail":"Method \"{{method}}\" not allowed."}""", reply.Body);
        Assert.Equal(8, (await api.WithKey(john.Key).GetAsync("/api/v1/gpus/")).EnsureStatus(200).Array.Count);
    }
}
