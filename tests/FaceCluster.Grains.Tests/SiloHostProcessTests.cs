using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FaceCluster.Grains.Tests;

/// <summary>The <c>facecluster-silo</c> host (src/FaceCluster.Silo): settings from arguments and the environment.</summary>
public sealed class SiloHostProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ProcessStartInfo Start(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "facecluster-silo.dll"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        return info;
    }

    [Fact]
    public async Task Bad_settings_are_one_line_each_named_and_exit_code_2()
    {
        using var process = Process.Start(Start("--FaceCluster:Role=tpu", "--FaceCluster:SiloPort=99999"))!;
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.Equal(2, process.ExitCode);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("FaceCluster:Role must be cpu or gpu", line, StringComparison.Ordinal);
        Assert.Contains("FaceCluster:SiloPort must be a port", line, StringComparison.Ordinal);
        Assert.Contains("data root", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_localhost_silo_starts_from_environment_settings_and_serves_the_api()
    {
        var root = Directory.CreateTempSubdirectory("facecluster-silo-host-").FullName;
        try
        {
            var api = FreePort();
            var info = Start();
            info.Environment["FACECLUSTER__DATAROOT"] = root;
            info.Environment["FACECLUSTER__SILOPORT"] = FreePort().ToString(CultureInfo.InvariantCulture);
            info.Environment["FACECLUSTER__GATEWAYPORT"] = FreePort().ToString(CultureInfo.InvariantCulture);
            info.Environment["FACECLUSTER__APIPORT"] = api.ToString(CultureInfo.InvariantCulture);
            info.Environment["FACECLUSTER__API__ALLOWANONYMOUS"] = "true";
            using var process = Process.Start(info)!;
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api}/") };
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (true)
                {
                    if (process.HasExited)
                    {
                        Assert.Fail("the silo ended: " + await process.StandardError.ReadToEndAsync(Ct));
                    }

                    try
                    {
                        var ready = await http.GetAsync("readyz", Ct);
                        if (ready.StatusCode == HttpStatusCode.OK)
                        {
                            break;
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // Not listening yet.
                    }

                    Assert.True(DateTime.UtcNow < deadline, "the silo's API was not ready within 60 s");
                    await Task.Delay(200, Ct);
                }

                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/runs", Ct)).StatusCode);
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(Ct);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
