using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sharedcloud.Es.Api.Tests.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Faults;

/// <summary>
/// The API as a real process (the built Sharedcloud.Es.Api.dll, copied next to the tests), for
/// what an in-process host cannot show: kill -9 and SIGTERM. Its console output is kept.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ApiProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }
    public int Port => Address.Port;
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Starts the API on the database and waits until it is ready (bounded).</summary>
    public static async Task<ApiProcess> StartAsync(string connectionString, params (string Key, string Value)[] settings)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var dll = Path.Combine(AppContext.BaseDirectory, "Sharedcloud.Es.Api.dll");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(address.ToString());
        info.Environment["ConnectionStrings__Postgres"] = connectionString;
        info.Environment["Auth__TokenSecret"] = ApiFactory.TokenSecret;
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Information";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings) info.Environment[key.Replace(":", "__")] = value;

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the API process.");
        var api = new ApiProcess(process, address);
        process.OutputDataReceived += (_, e) => api.Append(e.Data);
        process.ErrorDataReceived += (_, e) => api.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The API process exited with {process.ExitCode}:\n{api.Output}");
            try
            {
                if ((await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK) return api;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(90))
            {
                await api.DisposeAsync();
                throw new TimeoutException($"The API process was not ready within 90 s:\n{api.Output}");
            }
            await Task.Delay(100);
        }
    }

    public HttpClient NewHttpClient() => new() { BaseAddress = Address };

    public const string Password = "a-long-enough-passphrase";

    /// <summary>Signs up and logs in a new account (its username starts with <paramref name="prefix"/>) through this process.</summary>
    public async Task<ApiClient> NewAccountAsync(string prefix = "user")
    {
        var username = prefix + Guid.NewGuid().ToString("N")[..12];
        var anonymous = new ApiClient(NewHttpClient());
        (await anonymous.PostFormAsync("/api/v1/users/", ("username", username), ("email", $"{username}@example.com"),
            ("password", Password))).EnsureStatus(201);
        return Client(await anonymous.LogInAsync(username, Password), username);
    }

    /// <summary>A client of this process with an account's key.</summary>
    public ApiClient Client(string key, string username = "")
    {
        var http = NewHttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Token", key);
        return new ApiClient(http) { Username = username, Password = Password, Key = key };
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void Kill() => _process.Kill();

    /// <summary>kill -TERM: what a deploy or an orchestrator sends.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -TERM {Id} failed with {kill.ExitCode}");
    }

    /// <summary>True when the process exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>True when a new TCP connection to the API's port is refused (nothing listens).</summary>
    public async Task<bool> RefusesConnectionsAsync()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(IPAddress.Loopback, Port, cts.Token);
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
        {
            return true; // reset: the listener was closing as the connection came; nothing accepts it
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
