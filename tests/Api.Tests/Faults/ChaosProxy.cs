using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Sharedcloud.Es.Api.Tests.Faults;

/// <summary>
/// A TCP proxy on a loopback port in front of PostgreSQL that a test can cut and restore, whatever
/// server the tests use (local cluster, container, or a given one):
/// <list type="bullet">
/// <item><see cref="Refuse"/>: the server is gone. Open connections are reset, new ones refused.</item>
/// <item><see cref="Blackhole"/>: packets vanish. Connections stay open (new ones are even accepted),
/// but nothing goes through in either direction: only the client's timeouts end a wait.</item>
/// <item><see cref="Restore"/>: the server is back. Connections from before are reset (as after a
/// restart), new ones go through.</item>
/// </list>
/// </summary>
public sealed class ChaosProxy : IAsyncDisposable
{
    private enum Mode { Open, Refusing, Blackholing }

    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly object _gate = new();
    private TcpListener? _listener;
    private volatile Mode _mode = Mode.Open;

    private ChaosProxy(string upstreamHost, int upstreamPort, int port)
    {
        _upstreamHost = upstreamHost;
        _upstreamPort = upstreamPort;
        Port = port;
    }

    /// <summary>The loopback port to connect to instead of the server's.</summary>
    public int Port { get; }

    /// <summary>Connections the proxy accepted since it started.</summary>
    public int Accepted => _accepted;
    private int _accepted;

    public static ChaosProxy Start(string upstreamHost, int upstreamPort)
    {
        var listener = NewListener(0);
        var proxy = new ChaosProxy(upstreamHost, upstreamPort, ((IPEndPoint)listener.LocalEndpoint).Port);
        proxy.Listen(listener);
        return proxy;
    }

    public void Refuse()
    {
        lock (_gate)
        {
            _mode = Mode.Refusing;
            _listener?.Stop();
            _listener = null;
            ResetAll();
        }
    }

    public void Blackhole()
    {
        lock (_gate)
        {
            _mode = Mode.Blackholing;
            foreach (var link in _links.Keys) link.Frozen = true;
        }
    }

    public void Restore()
    {
        lock (_gate)
        {
            ResetAll();
            _mode = Mode.Open;
            if (_listener is null) Listen(NewListener(Port));
        }
    }

    private static TcpListener NewListener(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start(512);
        return listener;
    }

    private void Listen(TcpListener listener)
    {
        _listener = listener;
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptSocketAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    return; // stopped
                }
                Interlocked.Increment(ref _accepted);
                _ = Task.Run(() => ServeAsync(client));
            }
        });
    }

    private async Task ServeAsync(Socket client)
    {
        var link = new Link(client) { Frozen = _mode == Mode.Blackholing };
        _links[link] = 0;
        try
        {
            client.NoDelay = true;
            if (link.Frozen)
            {
                await PumpAsync(link, client, null);
                return;
            }
            var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            link.Upstream = upstream;
            await upstream.ConnectAsync(_upstreamHost, _upstreamPort);
            await Task.WhenAll(PumpAsync(link, client, upstream), PumpAsync(link, upstream, client));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // reset by us or by either end
        }
        finally
        {
            _links.TryRemove(link, out _);
            link.Reset();
        }
    }

    /// <summary>Copies from one end to the other; a frozen link swallows what it reads, as a dead network would.</summary>
    private static async Task PumpAsync(Link link, Socket from, Socket? to)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None);
            if (read == 0)
            {
                link.Reset(); // one end closed: so does the other
                return;
            }
            if (link.Frozen || to is null) continue;
            var sent = 0;
            while (sent < read) sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None);
        }
    }

    private void ResetAll()
    {
        foreach (var link in _links.Keys) link.Reset();
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _listener?.Stop();
            _listener = null;
            ResetAll();
        }
        return ValueTask.CompletedTask;
    }

    private sealed class Link(Socket client)
    {
        public volatile bool Frozen;
        public Socket? Upstream;

        /// <summary>Closes both ends with a TCP reset (no FIN, no TIME_WAIT), like a server that went away.</summary>
        public void Reset()
        {
            foreach (var socket in new[] { client, Upstream })
            {
                if (socket is null) continue;
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // already gone
                }
            }
        }
    }
}
