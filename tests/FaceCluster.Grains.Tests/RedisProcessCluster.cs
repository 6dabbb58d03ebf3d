using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FaceCluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FaceCluster.Grains.Tests;

/// <summary>
/// A real cluster of processes on loopback: a <c>redis-server</c> and silo processes of the built command line
/// (<c>dotnet facecluster.dll silo --clustering redis ...</c>), sharing one data root; and a client.
/// </summary>
internal sealed class RedisProcessCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos = [];
    private readonly bool _appendOnly;
    private Process _redis = null!;
    private IHost? _client;

    private RedisProcessCluster(string folder, int redisPort, bool appendOnly)
    {
        Folder = folder;
        DataRoot = Path.Combine(folder, "data");
        Directory.CreateDirectory(DataRoot);
        RedisPort = redisPort;
        _appendOnly = appendOnly;
        ClusterId = $"test-{Guid.NewGuid():N}";
    }

    public string Folder { get; }

    public string DataRoot { get; }

    public int RedisPort { get; }

    public string ClusterId { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public IClusterClient Client => _client!.Services.GetRequiredService<IClusterClient>();

    /// <summary>The built command line: the CLI project is referenced, so its output sits beside this assembly.</summary>
    public static string CliPath()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "facecluster.dll");
        Assert.True(
            File.Exists(beside) && File.Exists(Path.Combine(AppContext.BaseDirectory, "facecluster.runtimeconfig.json")),
            $"the built command line is not at {beside} (FaceCluster.Grains.Tests references FaceCluster.Cli)");
        return beside;
    }

    /// <summary>Runs the built command line with <paramref name="arguments"/> and <c>FACECLUSTER_DATA_ROOT</c> set; its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunCliAsync(IReadOnlyList<string> arguments, string dataRoot, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliPath());
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["FACECLUSTER_DATA_ROOT"] = dataRoot;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var text = await stdout + "\n" + await stderr;
        return (process.ExitCode, string.Create(CultureInfo.InvariantCulture, $"exit {process.ExitCode}\n{text}"));
    }

    /// <summary>
    /// Starts redis-server on a free loopback port in a temporary folder (fails if it is not installed); with
    /// <paramref name="appendOnly"/>, durable (AOF, fsync every write), as the deployment docs ask.
    /// </summary>
    public static async Task<RedisProcessCluster> StartRedisAsync(CancellationToken cancellationToken, bool appendOnly = false)
    {
        var cluster = new RedisProcessCluster(Directory.CreateTempSubdirectory("facecluster-redis-test-").FullName, FreePort(), appendOnly);
        await cluster.StartRedisServerAsync(cancellationToken);
        return cluster;
    }

    /// <summary>
    /// SIGKILL of redis-server, then a new one on the same port: empty, unless the cluster was started append-only
    /// (then it replays its AOF).
    /// </summary>
    public async Task RestartRedisAsync(CancellationToken cancellationToken)
    {
        _redis.Kill();
        await _redis.WaitForExitAsync(cancellationToken);
        _redis.Dispose();
        await StartRedisServerAsync(cancellationToken);
    }

    private async Task StartRedisServerAsync(CancellationToken cancellationToken)
    {
        var server = FindOnPath("redis-server");
        Assert.True(server is not null, "redis-server is not on PATH: install the Debian package (apt-get install -y redis-server); .ci/run does so");
        var info = new ProcessStartInfo(server!)
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] durability = _appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
        foreach (var argument in new[] { "--port", RedisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--dir", Folder }.Concat(durability))
        {
            info.ArgumentList.Add(argument);
        }

        var redis = Process.Start(info)!;
        redis.OutputDataReceived += (_, _) => { };
        redis.ErrorDataReceived += (_, _) => { };
        redis.BeginOutputReadLine();
        redis.BeginErrorReadLine();
        _redis = redis;
        await ProcessPoll.UntilAsync(
            async () =>
            {
                Assert.False(redis.HasExited, "redis-server exited at start");
                using var socket = new TcpClient();
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, RedisPort, cancellationToken);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(20),
            "redis-server to accept connections");
    }

    /// <summary>Disconnects the client (after the cluster it knew is gone) so that <see cref="ConnectAsync"/> can start a new one.</summary>
    public async Task DisconnectAsync()
    {
        if (_client is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _client.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The cluster may be gone already.
        }

        _client.Dispose();
        _client = null;
    }

    /// <summary>SIGSTOP to redis-server: it keeps its connections but answers nothing (a hung storage).</summary>
    public Task PauseRedisAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT to redis-server: it answers again, the commands sent meanwhile included.</summary>
    public Task ResumeRedisAsync() => SignalAsync("CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, _redis.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Starts a silo process (one worker slot, fast scheduling and failure detection).</summary>
    public SiloProcess StartSilo()
    {
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     CliPath(), "silo", "--clustering", "redis", "--redis", $"127.0.0.1:{RedisPort}", "--cluster-id", ClusterId,
                     "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture),
                     "--advertise", "127.0.0.1", "--data", DataRoot,
                 })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["FACECLUSTER__WORKERSLOTS"] = "1";
        info.Environment["FACECLUSTER__SCHEDULERINTERVAL"] = "00:00:00.200";
        info.Environment["FACECLUSTER__WAKEINTERVAL"] = "00:00:00.500";
        info.Environment["FACECLUSTER__MEMBERSHIP__PROBETIMEOUT"] = "00:00:01";
        info.Environment["FACECLUSTER__MEMBERSHIP__NUMMISSEDPROBESLIMIT"] = "2";
        info.Environment["FACECLUSTER__MEMBERSHIP__IAMALIVETABLEPUBLISHTIMEOUT"] = "00:00:02";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var silo = new SiloProcess(Process.Start(info)!, siloPort);
        _silos.Add(silo);
        return silo;
    }

    /// <summary>Connects the client once <paramref name="silos"/> silos are active.</summary>
    public async Task ConnectAsync(int silos, CancellationToken cancellationToken)
    {
        _client = await FaceClusterRedisExtensions.StartRedisClientAsync(
            new FaceClusterRedisOptions { ConnectionString = $"127.0.0.1:{RedisPort}", ClusterId = ClusterId }, cancellationToken);
        var management = Client.GetGrain<IManagementGrain>(0);
        await ProcessPoll.UntilAsync(
            async () => (await management.GetHosts(onlyActive: true)).Count == silos,
            TimeSpan.FromSeconds(90),
            $"{silos} active silos",
            () => string.Join("\n", _silos.Select(s => s.Log)));
    }

    /// <summary>
    /// Polls <paramref name="coordinator"/> until its run ends. Calls fail or time out while a killed silo is being
    /// declared dead; those polls are retried.
    /// </summary>
    public async Task<RunStatus> WaitForRunAsync(IRunCoordinatorGrain coordinator, TimeSpan deadline, string what)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        RunStatus? final = null;
        await ProcessPoll.UntilAsync(
            async () =>
            {
                try
                {
                    final = await coordinator.GetStatus();
                }
                catch (Exception e) when (e is OrleansException or TimeoutException or OperationCanceledException)
                {
                    return false;
                }

                return final.State is RunState.Completed or RunState.Failed or RunState.Cancelled;
            },
            deadline,
            what,
            () => string.Join("\n", _silos.Select(s => s.Log)));
        return final!;
    }

    /// <summary>The silo process that hosts the activation of <paramref name="grain"/>.</summary>
    public async Task<SiloProcess> HostOfAsync(IAddressable grain)
    {
        var address = await Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain);
        Assert.NotNull(address);
        return _silos.Single(s => s.SiloPort == address!.Endpoint.Port);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _client.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // The cluster may be gone already.
            }

            _client.Dispose();
        }

        foreach (var silo in _silos)
        {
            silo.Dispose();
        }

        Stop(_redis);
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }

    internal static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }

        process.Dispose();
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => Path.Combine(folder, name))
        .FirstOrDefault(File.Exists);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One silo process and what it wrote.</summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly StringBuilder _log = new();
    private bool _disposed;

    public SiloProcess(Process process, int siloPort)
    {
        Process = process;
        SiloPort = siloPort;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public int SiloPort { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return $"silo :{SiloPort}:\n{_log}";
            }
        }
    }

    /// <summary>SIGKILL: the silo dies without leaving the cluster.</summary>
    public void Kill()
    {
        Process.Kill();
        Process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            RedisProcessCluster.Stop(Process);
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}

/// <summary>Polling with a deadline instead of sleeping.</summary>
internal static class ProcessPoll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what, Func<string>? diagnostics = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (watch.Elapsed > deadline)
            {
                Assert.Fail($"timed out after {deadline.TotalSeconds:F0} s waiting for {what}{(diagnostics is null ? string.Empty : "\n" + diagnostics())}");
            }

            await Task.Delay(20);
        }
    }
}
