using System.Net.Sockets;
using System.Text;

namespace Sharedcloud.Es.Api.Tests.Abuse;

/// <summary>A response read off the socket: status, headers (lower-case names) and the decoded body.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// HTTP/1.1 written byte for byte on a fresh connection: any method, target, header or body, however
/// malformed (HttpClient would normalise or refuse much of it). The connection is closed after one response.
/// </summary>
public static class RawHttp
{
    public static byte[] Request(string method, byte[] target, string authority, IEnumerable<(string Name, byte[] Value)> headers, byte[]? body)
    {
        var request = new MemoryStream();
        void Write(string s) => request.Write(Encoding.ASCII.GetBytes(s));
        Write(method + " ");
        request.Write(target);
        Write(" HTTP/1.1\r\nHost: " + authority + "\r\nConnection: close\r\n");
        foreach (var (name, value) in headers)
        {
            Write(name + ": ");
            request.Write(value);
            Write("\r\n");
        }
        if (body is not null) Write($"Content-Length: {body.Length}\r\n");
        Write("\r\n");
        if (body is not null) request.Write(body);
        return request.ToArray();
    }

    /// <summary>
    /// Sends and reads the whole response. Throws when the server closes without a complete response
    /// (a dropped connection) or takes longer than <paramref name="timeout"/>.
    /// </summary>
    public static async Task<RawResponse> SendAsync(Uri address, byte[] request, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(address.Host, address.Port, cts.Token);
        await using var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(request, cts.Token);
        }
        catch (IOException)
        {
            // The server may answer (413, 431) and close before the whole request is written; the
            // response, if it came, is still there to read.
        }
        var received = new MemoryStream();
        try
        {
            await stream.CopyToAsync(received, cts.Token);
        }
        catch (IOException) when (received.Length > 0)
        {
            // Reset after the response was sent: parse what came.
        }
        return Parse(received.ToArray());
    }

    private static RawResponse Parse(byte[] bytes)
    {
        var end = IndexOf(bytes, "\r\n\r\n"u8, 0);
        if (end < 0) throw new IOException($"The connection closed without a complete response head ({bytes.Length} bytes).");
        var head = Encoding.Latin1.GetString(bytes, 0, end).Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1]);
        var headers = new Dictionary<string, string>();
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':');
            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }
        var rest = bytes.AsSpan(end + 4);
        byte[] body;
        if (headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            body = Dechunk(rest);
        else if (headers.TryGetValue("content-length", out var length))
        {
            var n = int.Parse(length);
            if (rest.Length < n) throw new IOException($"The body was cut short: {rest.Length} of {n} bytes.");
            body = rest[..n].ToArray();
        }
        else body = rest.ToArray();
        return new RawResponse(status, headers, body);
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> data)
    {
        var body = new MemoryStream();
        var position = 0;
        while (true)
        {
            var lineEnd = IndexOf(data, "\r\n"u8, position);
            if (lineEnd < 0) throw new IOException("The chunked body was cut short.");
            var size = Convert.ToInt32(Encoding.ASCII.GetString(data[position..lineEnd]).Split(';')[0], 16);
            position = lineEnd + 2;
            if (size == 0) return body.ToArray();
            if (position + size > data.Length) throw new IOException("A chunk was cut short.");
            body.Write(data.Slice(position, size));
            position += size + 2;
        }
    }

    private static int IndexOf(ReadOnlySpan<byte> data, ReadOnlySpan<byte> value, int from)
    {
        var i = data[from..].IndexOf(value);
        return i < 0 ? -1 : i + from;
    }
}
