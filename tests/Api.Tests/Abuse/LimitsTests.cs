using System.Text.Json.Nodes;
using Sharedcloud.Es.Api.Tests.Infrastructure;
using Sharedcloud.Es.Api.Tests.Transport;
using static Sharedcloud.Es.Api.Tests.Instances.InstanceTestKit;

namespace Sharedcloud.Es.Api.Tests.Abuse;

/// <summary>Input past the limits is a documented 400, never a 500, and writes nothing.</summary>
public sealed class LimitsTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task JSON_nested_deeper_than_32_levels_is_a_parse_error_and_32_levels_are_read()
    {
        var john = await api.NewAccountAsync();
        // The body's own object is the first level.
        static string Nested(int objects) => string.Concat(Enumerable.Repeat("{\"a\":", objects)) + "1" + new string('}', objects);

        var tooDeep = await john.SendRawAsync(HttpMethod.Post, InstancesUrl,
            $$"""{"name":"deep","ask_price":1,"x":{{Nested(32)}}}""", "application/json");
        var deepest = await john.SendRawAsync(HttpMethod.Post, InstancesUrl,
            $$"""{"name":"deep","ask_price":1,"x":{{Nested(31)}}}""", "application/json");

        tooDeep.EnsureStatus(400);
        var detail = tooDeep.Object["detail"]!.GetValue<string>();
        Assert.StartsWith("JSON parse error - ", detail);
        Assert.Contains("depth of 32", detail);
        deepest.EnsureStatus(201); // the unknown field is ignored, as DRF does
        Assert.Single((await john.GetAsync(InstancesUrl)).Array);
    }

    [Theory]
    [InlineData("""{"name":"\ud800","ask_price":1}""")]
    [InlineData("""{"\udc00":"x","name":"box","ask_price":1}""")]
    public async Task A_lone_surrogate_in_a_JSON_string_is_a_parse_error(string body)
    {
        var john = await api.NewAccountAsync();

        var reply = await john.SendRawAsync(HttpMethod.Post, InstancesUrl, body, "application/json");

        reply.EnsureStatus(400);
        Assert.StartsWith("JSON parse error - ", reply.Object["detail"]!.GetValue<string>());
        Assert.Empty((await john.GetAsync(InstancesUrl)).Array);
    }

    [Fact]
    public async Task A_NUL_character_in_a_text_field_is_refused_as_DRF_does()
    {
        var john = await api.NewAccountAsync();

        var json = await john.SendRawAsync(HttpMethod.Post, InstancesUrl, """{"name":"a\u0000b","ask_price":1}""", "application/json");
        var form = await john.PostFormAsync(InstancesUrl, ("name", "a\u0000b"), ("ask_price", "1"));

        json.Is(400, """{"name":["Null characters are not allowed."]}""");
        form.Is(400, """{"detail":"Form parse error - The form value contains invalid characters."}"""); // ASP.NET's form reader refuses it first
        Assert.Empty((await john.GetAsync(InstancesUrl)).Array);
    }

    [Theory]
    [InlineData("multipart/form-data", "Multipart form parse error - Missing content-type boundary.")]
    [InlineData("multipart/form-data; boundary=", "Multipart form parse error - Missing content-type boundary.")]
    public async Task A_multipart_body_without_a_boundary_is_400(string contentType, string detail)
    {
        var john = await api.NewAccountAsync();

        var reply = await john.SendExactContentTypeAsync(HttpMethod.Post, InstancesUrl, "name=x&ask_price=1", contentType);

        reply.Is(400, new JsonObject { ["detail"] = detail });
        Assert.Empty((await john.GetAsync(InstancesUrl)).Array);
    }

    [Fact]
    public async Task A_multipart_body_that_never_ends_is_400()
    {
        var john = await api.NewAccountAsync();
        const string body = "--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nbox\r\n";

        var reply = await john.SendExactContentTypeAsync(HttpMethod.Post, InstancesUrl, body, "multipart/form-data; boundary=b");

        reply.Is(400, """{"detail":"Multipart form parse error - Unexpected end of the body."}""");
        Assert.Empty((await john.GetAsync(InstancesUrl)).Array);
    }

    [Theory]
    [InlineData("/api/v1/audit/?limit=1e400", "limit", "A valid integer is required.")]
    [InlineData("/api/v1/audit/?limit=99999999999999999999", "limit", "A valid integer is required.")]
    [InlineData("/api/v1/audit/?limit=0", "limit", "Ensure this value is greater than or equal to 1.")]
    [InlineData("/api/v1/audit/?limit=1001", "limit", "Ensure this value is less than or equal to 1000.")]
    [InlineData("/api/v1/audit/?limit=-0", "limit", "Ensure this value is greater than or equal to 1.")]
    [InlineData("/api/v1/offers/?max_price=1e400", "max_price", "A valid number is required.")]
    [InlineData("/api/v1/offers/?max_price=NaN", "max_price", "A valid number is required.")]
    [InlineData("/api/v1/offers/?max_price=99999999999999999999999999999999", "max_price", "A valid number is required.")]
    public async Task Query_parameters_out_of_range_are_400_field_errors(string url, string field, string message)
    {
        var john = await api.NewAccountAsync();

        TestHelpers.IsFieldErrors(await john.GetAsync(url), (field, [message]));
    }

    [Theory]
    [InlineData("?version=99999999999999999999", "version", "A valid integer is required.")]
    [InlineData("?version=0", "version", "Ensure this value is greater than or equal to 1.")]
    [InlineData("?version=1e400", "version", "A valid integer is required.")]
    [InlineData("events/?since_version=-1", "since_version", "Ensure this value is greater than or equal to 0.")]
    [InlineData("events/?limit=1e400", "limit", "A valid integer is required.")]
    public async Task Instance_query_parameters_out_of_range_are_400_field_errors(string suffix, string field, string message)
    {
        var john = await api.NewAccountAsync();
        var instance = Url(await john.CreateInstanceAsync());

        TestHelpers.IsFieldErrors(await john.GetAsync(instance + suffix), (field, [message]));
    }

    [Theory]
    [InlineData("username", 151, "Ensure this field has no more than 150 characters.")]
    [InlineData("email", 255, "Ensure this field has no more than 254 characters.")]
    [InlineData("password", 4097, "Ensure this field has no more than 4096 characters.")]
    public async Task Sign_up_fields_past_their_length_are_400(string field, int length, string message)
    {
        var fields = new Dictionary<string, string>
        {
            ["username"] = TestHelpers.NewUsername(),
            ["email"] = "someone@example.com",
            ["password"] = "a-long-enough-passphrase",
        };
        fields[field] = field == "email" ? new string('a', length - "@example.com".Length) + "@example.com" : new string('a', length);

        var reply = await api.Anonymous().PostFormAsync("/api/v1/users/", fields.Select(f => (f.Key, f.Value)).ToArray());

        reply.EnsureStatus(400);
        Assert.Contains(message, reply.Object[field]!.AsArray().Select(m => m!.GetValue<string>()));
    }
}
