using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceCluster.Grains;
using FaceCluster.Grains.Tests;
using Microsoft.Extensions.Configuration;

namespace FaceCluster.Api.Tests;

/// <summary>
/// <c>/readyz</c> and the listing against a real Redis-backed cluster: a redis-server process that the test pauses
/// (SIGSTOP) and resumes, and a silo process that it kills.
/// </summary>
public sealed class ReadinessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Readiness_follows_storage_and_silos_and_the_listing_answers_while_storage_hangs()
    {
        await using var cluster = await RedisProcessCluster.StartRedisAsync(Ct);
        var silo = cluster.StartSilo();
        await cluster.ConnectAsync(1, Ct);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FaceCluster:DataRoot"] = cluster.DataRoot,
            ["FaceCluster:Api:Tokens:0"] = ApiFixture.Token,
            ["FaceCluster:Api:Dashboard"] = "false",
            ["FaceCluster:Api:ReadyTimeout"] = "00:00:02",
            ["FaceCluster:Api:StatusTimeout"] = "00:00:01",
        }).Build();
        await using var api = await FaceClusterApiHost.StartAsync(cluster.Client, configuration, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.Token);

        await Ready(http, HttpStatusCode.OK, "a started cluster");

        // A finished run in the registry: nothing wakes its coordinator, so listing it needs an activation, which reads
        // grain storage.
        var registry = cluster.Client.GetGrain<IRunRegistryGrain>(0);
        await registry.Register("stored-run", "stored-run-out", null);
        await registry.MarkFinished("stored-run");

        // The watchdog may have woken its coordinator meanwhile: collect idle activations so that listing must activate it.
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        // ... but the registry itself answers from memory, as in a running cluster: activate it again before the pause.
        await registry.List();

        await cluster.PauseRedisAsync();
        try
        {
            var reason = await Ready(http, HttpStatusCode.ServiceUnavailable, "a paused redis-server");
            Assert.StartsWith("not ready: ", reason, StringComparison.Ordinal);
            Assert.Contains("grain storage did not answer within 2 s", reason, StringComparison.Ordinal);

            // The registry answers from memory; the coordinator cannot activate: the listing says so instead of hanging.
            var watch = Stopwatch.StartNew();
            var list = await http.GetAsync("api/runs", Ct);
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the listing took {watch.Elapsed}");
            var run = Assert.Single((await list.Content.ReadFromJsonAsync<JsonObject>(Ct))!["runs"]!.AsArray())!;
            Assert.Equal("stored-run", run["run_id"]!.GetValue<string>());
            Assert.Equal("unresponsive", run["state"]!.GetValue<string>());
        }
        finally
        {
            await cluster.ResumeRedisAsync();
        }

        await Ready(http, HttpStatusCode.OK, "redis-server resumed");

        // No silo left: not ready.
        silo.Kill();
        await Ready(http, HttpStatusCode.ServiceUnavailable, "the only silo killed");
    }

    /// <summary>Polls <c>/readyz</c> until it answers <paramref name="expected"/>; its one-line body.</summary>
    private static async Task<string> Ready(HttpClient http, HttpStatusCode expected, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var response = await http.GetAsync("readyz", Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode == expected)
            {
                Assert.DoesNotContain('\n', body);
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/readyz after {what}: {(int)response.StatusCode} {body}");
            await Task.Delay(200, Ct);
        }
    }
}
