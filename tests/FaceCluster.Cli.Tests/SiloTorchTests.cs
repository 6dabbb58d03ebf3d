using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FaceCluster.Cli.Tests;

/// <summary>
/// <c>facecluster silo --libtorch DIR</c> (or <c>FaceCluster:LibTorch</c>): the libtorch is loaded when the silo starts, so
/// a bad folder stops it at once and a gpu silo without CUDA says so. Processes, because torch loads once per process.
/// </summary>
public sealed class SiloTorchTests
{
    [Fact]
    public async Task A_missing_libtorch_folder_stops_the_silo_with_one_clear_error()
    {
        var (exitCode, error) = await RunToEndAsync(["--libtorch", "/nonexistent/libtorch"], new Dictionary<string, string>());

        Assert.Equal(2, exitCode);
        Assert.Contains("FaceCluster:LibTorch=/nonexistent/libtorch: no such directory", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gpu_silo_loads_the_configured_libtorch_at_start_and_warns_without_cuda()
    {
        using var folder = await ExternalLibTorchFolder.CreateAsync(TestContext.Current.CancellationToken);
        var external = folder.Path;
        var info = SiloStart(["--role", "gpu"], new Dictionary<string, string> { ["FACECLUSTER__LIBTORCH"] = external });
        using var process = Process.Start(info)!;
        try
        {
            var lines = new List<string>();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                if (line.StartsWith("silo: ", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var log = string.Join("\n", lines);
            Assert.Contains("role gpu, silo port", log, StringComparison.Ordinal);
            Assert.Contains($"libtorch {external}, CUDA not available", log, StringComparison.Ordinal);
            Assert.Contains("warning: role gpu, but CUDA is not available", log, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    private static async Task<(int ExitCode, string Error)> RunToEndAsync(IReadOnlyList<string> arguments, Dictionary<string, string> environment)
    {
        using var process = Process.Start(SiloStart(arguments, environment))!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await stdout;
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, error);
    }

    private static ProcessStartInfo SiloStart(IReadOnlyList<string> arguments, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "facecluster.dll"));
        foreach (var argument in (string[])
                 [
                     "silo", "--data", Directory.CreateTempSubdirectory("facecluster-silo-torch-").FullName,
                     "--silo-port", FreePort().ToString(CultureInfo.InvariantCulture), "--gateway-port", FreePort().ToString(CultureInfo.InvariantCulture),
                     .. arguments,
                 ])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment.Remove("FACECLUSTER_LIBTORCH");
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return info;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
