using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sharedcloud.Es.Api.Tests.Infrastructure;

/// <summary>Thin helpers over HttpClient for the Sharedcloud API's shapes.</summary>
public sealed class ApiClient(HttpClient http)
{
    public HttpClient Http { get; } = http;
    public string Username { get; init; } = "";
    public string Password { get; init; } = "";
    public string Key { get; init; } = "";

    public Task<Reply> GetAsync(string url) => SendAsync(HttpMethod.Get, url, null);
    public Task<Reply> DeleteAsync(string url) => SendAsync(HttpMethod.Delete, url, null);

    /// <summary>An application/x-www-form-urlencoded body, as the official client sends.</summary>
    public Task<Reply> PostFormAsync(string url, params (string Key, string Value)[] fields) =>
        SendAsync(HttpMethod.Post, url, Form(fields));

    public Task<Reply> SendFormAsync(HttpMethod method, string url, params (string Key, string Value)[] fields) =>
        SendAsync(method, url, Form(fields));

    public Task<Reply> SendJsonAsync(HttpMethod method, string url, object body) =>
        SendAsync(method, url, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    public Task<Reply> SendRawAsync(HttpMethod method, string url, string body, string contentType) =>
        SendAsync(method, url, new StringContent(body, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)));

    public async Task<Reply> SendAsync(HttpMethod method, string url, HttpContent? content,
        Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        configure?.Invoke(request);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, text, response.Headers, response.Content.Headers);
    }

    public async Task<string> LogInAsync(string username, string password)
    {
        var reply = await PostFormAsync("/api/v1/api-token-auth/", ("username", username), ("password", password));
        reply.EnsureStatus(200);
        return reply.Json["token"]!.GetValue<string>();
    }

    /// <summary>Creates an instance with form fields; returns its JSON.</summary>
    public async Task<JsonObject> CreateInstanceAsync(params (string Key, string Value)[] fields)
    {
        if (fields.Length == 0) fields = [("name", "instance1"), ("ask_price", "0.02")];
        var reply = await PostFormAsync("/api/v1/instances/", fields);
        reply.EnsureStatus(201);
        return reply.Object;
    }

    private static FormUrlEncodedContent Form((string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));
}

public sealed record Reply(HttpStatusCode Status, string Body, HttpResponseHeaders Headers, HttpContentHeaders ContentHeaders)
{
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException("The body is JSON null.");
    public JsonObject Object => Json.AsObject();
    public JsonArray Array => Json.AsArray();

    public Reply EnsureStatus(int expected)
    {
        Assert.True((int)Status == expected, $"Expected {expected}, got {(int)Status}: {Body}");
        return this;
    }

    /// <summary>Asserts the status and that the body is exactly this JSON (compared as JSON).</summary>
    public Reply Is(int status, string json)
    {
        EnsureStatus(status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), Json), $"Expected body {json}, got {Body}");
        return this;
    }
}
