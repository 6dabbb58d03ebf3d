using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace FaceCluster.Grains.Tests;

/// <summary>`facecluster silo --api-port N` serves the HTTP API from the silo's own process.</summary>
public sealed class SiloApiProcessTests
{
    [Fact]
    public async Task A_silo_with_an_api_port_serves_the_authenticated_api_and_dashboard()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataRoot = Directory.CreateTempSubdirectory("facecluster-silo-api-").FullName;
        var apiPort = FreePort();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     RedisProcessCluster.CliPath(), "silo", "--data", dataRoot, "--api-port", apiPort.ToString(CultureInfo.InvariantCulture),
                     "--silo-port", FreePort().ToString(CultureInfo.InvariantCulture), "--gateway-port", FreePort().ToString(CultureInfo.InvariantCulture),
                 })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["FACECLUSTER_API_TOKENS"] = "silo-test-token";
        info.Environment["FACECLUSTER__TELEMETRY__ACTIVERUNSINTERVAL"] = "00:00:00.500";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        using var silo = new SiloProcess(Process.Start(info)!, 0);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}/") };
            await ProcessPoll.UntilAsync(
                async () =>
                {
                    try
                    {
                        return (await http.GetAsync("readyz", ct)).StatusCode == HttpStatusCode.OK;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(90),
                "the silo's /readyz",
                () => silo.Log);

            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/runs", ct)).StatusCode);
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/runs");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "silo-test-token");
            var runs = await http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.OK, runs.StatusCode);
            Assert.Contains("\"runs\"", await runs.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

            // The Orleans Dashboard is on by default, behind the same tokens.
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("dashboard/", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("dashboard/DashboardCounters", ct)).StatusCode);
            using var page = new HttpRequestMessage(HttpMethod.Get, "dashboard/");
            page.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "silo-test-token");
            var html = await http.SendAsync(page, ct);
            Assert.Equal(HttpStatusCode.OK, html.StatusCode);
            Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
            await ProcessPoll.UntilAsync(
                async () =>
                {
                    using var counters = new HttpRequestMessage(HttpMethod.Get, "dashboard/DashboardCounters");
                    counters.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "silo-test-token");
                    var response = await http.SendAsync(counters, ct);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    return (await response.Content.ReadAsStringAsync(ct)).Contains("\"totalActiveHostCount\":1", StringComparison.Ordinal);
                },
                TimeSpan.FromSeconds(60),
                "the dashboard's counters to show the silo",
                () => silo.Log);

            // Metrics need no token; the active-runs gauge reads the run registry through the silo (no run yet).
            await ProcessPoll.UntilAsync(
                async () => (await http.GetStringAsync("metrics", ct)).Split('\n').Any(line => line.StartsWith("facecluster_runs_active", StringComparison.Ordinal) && line.Split(' ')[1] == "0"),
                TimeSpan.FromSeconds(60),
                "facecluster_runs_active 0 at /metrics",
                () => silo.Log);
            Assert.DoesNotContain("silo-test-token", silo.Log, StringComparison.Ordinal);
        }
        finally
        {
            silo.Kill();
            Directory.Delete(dataRoot, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
