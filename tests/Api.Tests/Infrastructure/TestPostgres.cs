using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Sharedcloud.Es.Api.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test process, started on first use.
/// Chosen in this order:
/// <list type="number">
/// <item><c>env</c>: <c>SHAREDCLOUD_TEST_POSTGRES</c>, an Npgsql connection string to a server where we may
/// create databases (its Database, if given, is used as the admin database); the databases a run creates
/// there are dropped at the start of a later run, once their process is gone;</item>
/// <item><c>testcontainers</c>: a <c>postgres:15</c> container, when a Docker engine answers;</item>
/// <item><c>local-cluster</c>: a throwaway cluster from the local PostgreSQL binaries in a temp folder,
/// on a random port of 127.0.0.1, durability off for speed.</item>
/// </list>
/// Tests isolate themselves with <see cref="CreateDatabaseAsync"/>: one fresh database each.
/// Clean-up does not rely on <see cref="AppDomain.ProcessExit"/> alone: the VSTest host gets killed shortly
/// after the run, so a watchdog process (local cluster), Testcontainers' reaper, or the next run finishes it.
/// </summary>
public static class TestPostgres
{
    public const string ConnectionStringVariable = "SHAREDCLOUD_TEST_POSTGRES";

    private static readonly Lazy<Task<string>> Server = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    private const string DatabaseMarker = "sharedcloud-test owner=";
    private static volatile string _mode = "not-started";

    /// <summary>"env", "testcontainers" or "local-cluster" once the server started; "not-started" before.</summary>
    public static string Mode => _mode;

    /// <summary>Admin connection string of the server (database <c>postgres</c>); starts the server on first call.</summary>
    public static Task<string> ServerConnectionStringAsync() => Server.Value;

    /// <summary>Creates a fresh, empty, uniquely named database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var admin = await ServerConnectionStringAsync();
        var name = NewDatabaseName(prefix);
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
            if (Mode == "env") // a shared server: mark it, so that a later run can drop it
            {
                await using var mark = new NpgsqlCommand(
                    $"COMMENT ON DATABASE \"{name}\" IS '{DatabaseMarker}{Environment.MachineName}/{OwnerIdentity(Environment.ProcessId)}'", connection);
                await mark.ExecuteNonQueryAsync();
            }
        }
        return new NpgsqlConnectionStringBuilder(admin)
        {
            Database = name,
            Pooling = true,
            MaxPoolSize = 50,
            // Many databases per run: give idle connections back to the server quickly.
            ConnectionIdleLifetime = 10,
            ConnectionPruningInterval = 5,
            IncludeErrorDetail = true,
        }.ConnectionString;
    }

    private static string NewDatabaseName(string? prefix)
    {
        var clean = new string((prefix ?? "test").ToLowerInvariant()
            .Select(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' ? c : '_').ToArray());
        if (clean.Length == 0 || char.IsDigit(clean[0])) clean = "t" + clean;
        if (clean.Length > 30) clean = clean[..30];
        return $"{clean}_{Guid.NewGuid():N}"; // at most 63 characters, PostgreSQL's limit
    }

    private static async Task<string> StartAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            var connectionString = await UseExistingServerAsync(fromEnvironment);
            _mode = "env";
            return connectionString;
        }

        if (await DockerEngineAnswersAsync())
        {
            try
            {
                var connectionString = await StartContainerAsync();
                _mode = "testcontainers";
                return connectionString;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine(
                    $"TestPostgres: a Docker engine answers but the PostgreSQL container did not start ({e.Message}); using a local cluster instead.");
            }
        }

        var local = await LocalCluster.StartAsync();
        _mode = "local-cluster";
        return local;
    }

    // ---- env ------------------------------------------------------------------------------------

    private static async Task<string> UseExistingServerAsync(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"{ConnectionStringVariable} is not a valid Npgsql connection string: {e.Message}", e);
        }
        if (string.IsNullOrEmpty(builder.Database)) builder.Database = "postgres";
        var admin = builder.ConnectionString;
        await using var connection = new NpgsqlConnection(admin);
        try
        {
            await connection.OpenAsync();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"{ConnectionStringVariable} is set, but its server did not accept a connection: {e.Message}", e);
        }
        await DropLeftoverDatabasesAsync(connection);
        return admin;
    }

    /// <summary>Drops the databases that earlier test processes of this machine created and that outlived them.</summary>
    private static async Task DropLeftoverDatabasesAsync(NpgsqlConnection connection)
    {
        var leftovers = new List<string>();
        await using (var query = new NpgsqlCommand(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE shobj_description(oid, 'pg_database') LIKE $1",
            connection))
        {
            query.Parameters.AddWithValue($"{DatabaseMarker}{Environment.MachineName}/%");
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var owner = reader.GetString(1)[(DatabaseMarker.Length + Environment.MachineName.Length + 1)..];
                if (!IsAlive(owner)) leftovers.Add(reader.GetString(0));
            }
        }
        foreach (var name in leftovers)
        {
            try
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
            catch (PostgresException e)
            {
                Console.Error.WriteLine($"TestPostgres: could not drop the leftover test database {name}: {e.MessageText}");
            }
        }
    }

    /// <summary>"pid starttime": the start time (Linux /proc) tells a live process from a reused pid.</summary>
    private static string OwnerIdentity(int pid) => $"{pid} {StartTimeTicks(pid)}";

    private static bool IsAlive(string ownerIdentity)
    {
        var parts = ownerIdentity.Trim().Split(' ');
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return false;
        if (Directory.Exists("/proc/self"))
        {
            var startTime = StartTimeTicks(pid);
            return startTime.Length > 0 && parts.Length > 1 && parts[1] == startTime;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string StartTimeTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]; // field 22, starttime
        }
        catch (Exception)
        {
            return "";
        }
    }

    // ---- testcontainers -------------------------------------------------------------------------

    /// <summary>True when a Docker engine answers /_ping within a few seconds; never hangs for long.</summary>
    private static async Task<bool> DockerEngineAnswersAsync()
    {
        EndPoint endpoint;
        var dockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrWhiteSpace(dockerHost))
        {
            if (!Uri.TryCreate(dockerHost, UriKind.Absolute, out var uri)) return false;
            var tls = Environment.GetEnvironmentVariable("DOCKER_TLS_VERIFY") is { Length: > 0 } and not "0";
            if (uri.Scheme == "unix") endpoint = new UnixDomainSocketEndPoint(uri.AbsolutePath);
            else if (uri.Scheme == "tcp" && !tls) endpoint = new DnsEndPoint(uri.Host, uri.Port);
            else return true; // TLS, ssh, npipe: no cheap probe; let Testcontainers try
        }
        else
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var runtimeDir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            string[] candidates =
            [
                "/var/run/docker.sock",
                string.IsNullOrEmpty(runtimeDir) ? "" : Path.Combine(runtimeDir, "docker.sock"),
                Path.Combine(home, ".docker", "run", "docker.sock"),
                Path.Combine(home, ".docker", "desktop", "docker.sock"),
            ];
            var socketPath = candidates.FirstOrDefault(c => c.Length > 0 && File.Exists(c));
            if (socketPath is null) return false;
            endpoint = new UnixDomainSocketEndPoint(socketPath);
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            using var socket = endpoint is UnixDomainSocketEndPoint
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, timeout.Token);
            await socket.SendAsync("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"u8.ToArray(), SocketFlags.None, timeout.Token);
            var buffer = new byte[64];
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            var statusLine = Encoding.ASCII.GetString(buffer, 0, read);
            return statusLine.StartsWith("HTTP/1.", StringComparison.Ordinal) && statusLine.Contains(" 200 ", StringComparison.Ordinal);
        }
        catch (Exception)
        {
            return false;
        }
    }

    private static async Task<string> StartContainerAsync()
    {
        var container = new PostgreSqlBuilder("postgres:15")
            .WithCommand("-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300")
            .Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5)); // includes a first image pull
            await container.StartAsync(timeout.Token);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
        // Testcontainers' reaper removes the container should this handler not run.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { container.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10)); }
            catch (Exception) { /* best effort */ }
        };
        return new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { Database = "postgres" }.ConnectionString;
    }

    // ---- local cluster --------------------------------------------------------------------------

    /// <summary>
    /// A cluster under <c>$TMPDIR/sharedcloud-test-pg-$USER/&lt;id&gt;</c>, owned by the <c>postgres</c> user
    /// when the tests run as root (PostgreSQL refuses to run as root). It is stopped and deleted on process exit;
    /// as that handler gets cut short (or the process killed), a watchdog process does it within a second,
    /// and the next run removes whatever is still left.
    /// </summary>
    private static class LocalCluster
    {
        private const string OwnerFile = "owner";
        private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(90);

        // Runs in its own session: kills the postmaster and deletes the folder once the test process is gone.
        private const string WatchdogScript = """
            exec </dev/null >/dev/null 2>&1
            owner=$1; dir=$2
            while kill -0 "$owner"; do sleep 0.5; done
            [ -d "$dir" ] || exit 0
            if [ -f "$dir/data/postmaster.pid" ]; then
              pid=$(head -n 1 "$dir/data/postmaster.pid")
              kill -QUIT "$pid"
              i=0; while kill -0 "$pid" && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
            fi
            rm -rf "$dir"
            """;

        public static async Task<string> StartAsync()
        {
            var binDir = await FindBinDirAsync() ?? throw new InvalidOperationException(
                "TestPostgres: no PostgreSQL server binaries (initdb, pg_ctl) found. Install them (Debian: apt-get install postgresql), " +
                $"or set {ConnectionStringVariable} to the connection string of a server, or run a Docker engine.");
            var asPostgres = Environment.IsPrivilegedProcess;
            if (asPostgres && (await RunAsync("id", ["-u", "postgres"], asPostgres: false)).ExitCode != 0)
            {
                throw new InvalidOperationException(
                    "TestPostgres: the tests run as root, and PostgreSQL refuses to; a 'postgres' system user is needed to own the " +
                    "throwaway cluster (Debian: apt-get install postgresql creates it), or run the tests as a normal user.");
            }

            var parent = Path.Combine(Path.GetFullPath(Path.GetTempPath()), $"sharedcloud-test-pg-{Environment.UserName}");
            Directory.CreateDirectory(parent);
            if (asPostgres && !OperatingSystem.IsWindows()) // the postgres user must traverse it
            {
                File.SetUnixFileMode(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                    UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
            await RemoveStaleClustersAsync(parent, binDir, asPostgres);

            var dir = Path.Combine(parent, $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]);
            var data = Path.Combine(dir, "data");
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, OwnerFile), OwnerIdentity(Environment.ProcessId));
            StartWatchdog(dir);
            try
            {
                if (asPostgres)
                {
                    await RunCheckedAsync("chown", ["postgres:", dir], asPostgres: false);
                    if ((await RunAsync("test", ["-w", dir], asPostgres: true)).ExitCode != 0)
                    {
                        throw new InvalidOperationException(
                            $"TestPostgres: the postgres user cannot reach {dir}; point TMPDIR at a folder it can traverse (e.g. /tmp).");
                    }
                }

                await RunCheckedAsync(Path.Combine(binDir, "initdb"),
                    ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], asPostgres);
                await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), """

                    # sharedcloud test cluster: throwaway, so durability is off
                    listen_addresses = '127.0.0.1'
                    unix_socket_directories = ''
                    max_connections = 300
                    fsync = off
                    synchronous_commit = off
                    full_page_writes = off

                    """);

                var log = Path.Combine(dir, "postgres.log");
                for (var attempt = 1; ; attempt++)
                {
                    var port = FreePort();
                    var (exitCode, output) = await RunAsync(Path.Combine(binDir, "pg_ctl"),
                        ["-D", data, "-l", log, "-w", "-t", "60", "-o", $"-p {port}", "start"], asPostgres);
                    if (exitCode == 0)
                    {
                        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(binDir, dir, asPostgres);
                        var admin = new NpgsqlConnectionStringBuilder
                        {
                            Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres",
                        }.ConnectionString;
                        await using var connection = new NpgsqlConnection(admin);
                        await connection.OpenAsync();
                        return admin;
                    }
                    var logText = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
                    if (attempt < 3 && logText.Contains("could not bind", StringComparison.Ordinal)) continue; // port taken meanwhile
                    throw new InvalidOperationException(
                        $"TestPostgres: pg_ctl start failed (exit {exitCode}) for {data}:\n{output}\n{Tail(logText, 20)}");
                }
            }
            catch
            {
                Stop(binDir, dir, asPostgres);
                throw;
            }
        }

        private static void Stop(string binDir, string dir, bool asPostgres)
        {
            try
            {
                var data = Path.Combine(dir, "data");
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                {
                    RunAsync(Path.Combine(binDir, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "-t", "20", "stop"], asPostgres)
                        .GetAwaiter().GetResult();
                }
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"TestPostgres: could not remove the test cluster in {dir}: {e.Message}");
            }
        }

        private static async Task RemoveStaleClustersAsync(string parent, string binDir, bool asPostgres)
        {
            foreach (var dir in Directory.GetDirectories(parent))
            {
                var ownerFile = Path.Combine(dir, OwnerFile);
                var stale = File.Exists(ownerFile)
                    ? !IsAlive(await File.ReadAllTextAsync(ownerFile))
                    : Directory.GetLastWriteTimeUtc(dir) < DateTime.UtcNow.AddMinutes(-10);
                if (stale) Stop(binDir, dir, asPostgres);
            }
        }

        private static void StartWatchdog(string dir)
        {
            var info = new ProcessStartInfo
            {
                FileName = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : "/bin/sh",
                UseShellExecute = false,
                RedirectStandardInput = true, // nothing inherited from the test host
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = "/",
            };
            if (info.FileName != "/bin/sh") info.ArgumentList.Add("/bin/sh");
            foreach (var argument in new[] { "-c", WatchdogScript, "sharedcloud-test-pg-watchdog", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), dir })
            {
                info.ArgumentList.Add(argument);
            }
            Process.Start(info)?.Dispose();
        }

        private static async Task<string?> FindBinDirAsync()
        {
            try
            {
                var (exitCode, output) = await RunAsync("pg_config", ["--bindir"], asPostgres: false);
                var fromPgConfig = output.Trim();
                if (exitCode == 0 && File.Exists(Path.Combine(fromPgConfig, "initdb"))) return fromPgConfig;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // no pg_config on PATH
            }
            const string debianRoot = "/usr/lib/postgresql";
            if (!Directory.Exists(debianRoot)) return null;
            return Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"),
                    Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(c => File.Exists(Path.Combine(c.Dir, "initdb")))
                .OrderByDescending(c => c.Version)
                .Select(c => c.Dir)
                .FirstOrDefault();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        private static async Task RunCheckedAsync(string tool, string[] arguments, bool asPostgres)
        {
            var (exitCode, output) = await RunAsync(tool, arguments, asPostgres);
            if (exitCode != 0)
            {
                throw new InvalidOperationException(
                    $"TestPostgres: {Path.GetFileName(tool)} {string.Join(' ', arguments)} failed (exit {exitCode}):\n{output}");
            }
        }

        /// <summary>Runs a tool (as the postgres user through runuser when asked); returns its exit code, stdout and stderr.</summary>
        private static async Task<(int ExitCode, string Output)> RunAsync(string tool, string[] arguments, bool asPostgres)
        {
            var info = new ProcessStartInfo
            {
                FileName = asPostgres ? (File.Exists("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "runuser") : tool,
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = "/", // the postgres user may not be able to enter ours
            };
            if (asPostgres)
            {
                foreach (var argument in new[] { "-u", "postgres", "--", tool }) info.ArgumentList.Add(argument);
            }
            foreach (var argument in arguments) info.ArgumentList.Add(argument);

            using var process = Process.Start(info) ?? throw new InvalidOperationException($"TestPostgres: could not start {tool}");
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(ToolTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { /* exited meanwhile */ }
                throw new TimeoutException(
                    $"TestPostgres: {Path.GetFileName(tool)} {string.Join(' ', arguments)} did not finish within {ToolTimeout.TotalSeconds}s.");
            }
            var output = (await stdout + await stderr).Trim();
            return (process.ExitCode, output);
        }

        private static string Tail(string text, int lines) =>
            string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
    }
}
