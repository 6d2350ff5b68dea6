using System.Net.Http.Headers;
using System.Text;

namespace Sharedcloud.Es.Api.Tests.Infrastructure;

/// <summary>Requests with If-Match / If-None-Match, sent verbatim (no client-side validation of the tags).</summary>
public static class ConditionalRequests
{
    /// <summary>The response's ETag header as sent, or null.</summary>
    public static string? ETag(this Reply reply) =>
        reply.Headers.TryGetValues("ETag", out var values) ? string.Join(", ", values) : null;

    public static string Tag(long version) => $"\"{version}\"";

    public static Task<Reply> GetAsync(this ApiClient client, string url, string ifNoneMatch) =>
        client.SendAsync(HttpMethod.Get, url, null, Header("If-None-Match", ifNoneMatch));

    /// <summary>A form body (as the official client sends) with an If-Match header; null sends none.</summary>
    public static Task<Reply> SendFormAsync(this ApiClient client, HttpMethod method, string url, string? ifMatch,
        params (string Key, string Value)[] fields) =>
        client.SendAsync(method, url, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))),
            Header("If-Match", ifMatch));

    public static Task<Reply> SendRawAsync(this ApiClient client, HttpMethod method, string url, string? ifMatch, string body,
        string contentType) =>
        client.SendAsync(method, url, new StringContent(body, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)),
            Header("If-Match", ifMatch));

    public static Task<Reply> DeleteAsync(this ApiClient client, string url, string? ifMatch) =>
        client.SendAsync(HttpMethod.Delete, url, null, Header("If-Match", ifMatch));

    private static Action<HttpRequestMessage> Header(string name, string? value) => request =>
    {
        if (value is not null) request.Headers.TryAddWithoutValidation(name, value);
    };
}
