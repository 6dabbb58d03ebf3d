using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FaceCluster.Cli;
using FaceCluster.Grains;
using FaceCluster.Hosting;

namespace FaceCluster.Api.Tests;

public sealed class ApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Runs_need_a_valid_bearer_token_which_is_never_logged()
    {
        using var anonymous = fixture.Client(token: null);
        using var wrong = fixture.Client("wrong-token-value-42");
        using var right = fixture.Client();

        var none = await anonymous.GetAsync("api/runs", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", Assert.Single(none.Headers.WwwAuthenticate).Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("api/runs", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsJsonAsync("api/runs", ApiFixture.SmallRun("out/never"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("api/runs", Ct)).StatusCode);

        Assert.NotEmpty(fixture.Logs);
        Assert.DoesNotContain(fixture.Logs, line => line.Contains(ApiFixture.Token, StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs, line => line.Contains("wrong-token-value-42", StringComparison.Ordinal));
    }

    [Fact]
    public void No_tokens_refuses_to_start_unless_anonymous_is_allowed()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ApiTokens.From(new FaceClusterApiOptions(), null));
        Assert.Contains("AllowAnonymous", error.Message, StringComparison.Ordinal);
        Assert.True(ApiTokens.From(new FaceClusterApiOptions { AllowAnonymous = true }, null).AllowAnonymous);
        var tokens = ApiTokens.From(new FaceClusterApiOptions(), "a, b ,c");
        Assert.True(tokens.IsValid("b"));
        Assert.False(tokens.IsValid("d"));
        Assert.False(tokens.IsValid(string.Empty));
    }

    [Fact]
    public async Task Paths_outside_the_data_root_are_refused()
    {
        using var http = fixture.Client();
        var outside = Path.Combine(fixture.Folder, "outside");
        Directory.CreateDirectory(outside);
        File.Copy(Path.Combine(fixture.DataRoot, ApiFixture.XPath), Path.Combine(outside, "x.parquet"), overwrite: true);
        var link = Path.Combine(fixture.DataRoot, "escape");
        if (!Directory.Exists(link))
        {
            Directory.CreateSymbolicLink(link, outside);
        }

        foreach (var (field, value) in new[]
        {
            ("x", "../outside/x.parquet"),
            ("x", Path.Combine(outside, "x.parquet")),
            ("x", "escape/x.parquet"),
            ("out", "inputs/../../outside/out"),
            ("out", "escape/out"),
            ("y", "/etc/passwd"),
        })
        {
            var body = ApiFixture.SmallRun("out/refused");
            body[field] = value;
            var response = await http.PostAsJsonAsync("api/runs", body, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]!.GetValue<string>();
            Assert.Contains(field, error, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', error);
        }

        var bad = await http.PostAsync("api/runs", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(outside, "out")));
    }

    [Fact]
    public async Task Submit_status_results_give_the_summary_of_the_cli()
    {
        using var http = fixture.Client();
        var created = await http.PostAsJsonAsync("api/runs", ApiFixture.SmallRun("out/http", "http-run"), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/runs/http-run", created.Headers.Location?.ToString());

        var status = await fixture.Cluster.Client.WaitForRunAsync("http-run", cancellationToken: Ct);
        Assert.Equal(RunState.Completed, status.State);
        var json = (await http.GetFromJsonAsync<JsonObject>("api/runs/http-run", Ct))!;
        Assert.Equal("completed", json["state"]!.GetValue<string>());
        Assert.Contains(
            (await http.GetFromJsonAsync<JsonObject>("api/runs", Ct))!["runs"]!.AsArray(),
            run => run!["run_id"]!.GetValue<string>() == "http-run");

        var results = (await http.GetFromJsonAsync<JsonObject>("api/runs/http-run/results", Ct))!;
        var files = results["files"]!.AsArray().Select(f => f!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("summary.json", files);
        Assert.Contains("dimensions.parquet", files);
        Assert.All(results["files"]!.AsArray(), f => Assert.True(f!["bytes"]!.GetValue<long>() > 0));

        // The same analysis by the command line, in one process.
        var cliOut = Path.Combine(fixture.Folder, "cli-out");
        var cli = await Cli(
            "analyze", "ppca", "--x", Path.Combine(fixture.DataRoot, ApiFixture.XPath), "--y", Path.Combine(fixture.DataRoot, ApiFixture.YPath),
            "--out", cliOut, "--in-process", "--bootstrap", "50", "--replicates", "6", "--inner-bootstrap", "20", "--seed", "1");
        Assert.True(cli.ExitCode == 0, cli.Error);
        var expected = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(cliOut, "summary.json"), Ct))!.AsObject();
        Assert.Equal(Comparable(expected).ToJsonString(), Comparable(results["summary"]!.AsObject()).ToJsonString());
        foreach (var table in new[] { "dimensions.parquet", "loadings.parquet", "loading_significance.parquet" })
        {
            Assert.Equal(
                await File.ReadAllBytesAsync(Path.Combine(cliOut, table), Ct),
                await File.ReadAllBytesAsync(Path.Combine(fixture.DataRoot, "out", "http", table), Ct));
        }

        // The telemetry of the run is scraped at /metrics, without a token.
        using var scraper = fixture.Client(token: null);
        var metrics = await scraper.GetStringAsync("metrics", Ct);
        Assert.Contains("facecluster_folds_completed", metrics, StringComparison.Ordinal);
        Assert.Contains("facecluster_replicates_completed", metrics, StringComparison.Ordinal);
        Assert.Contains("facecluster_run_duration", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_report_run_reports_on_a_finished_run_and_the_report_endpoint_serves_it()
    {
        using var http = fixture.Client();
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/runs", ApiFixture.SmallRun("out/reported", "reported-run"), Ct)).StatusCode);
        Assert.Equal(RunState.Completed, (await fixture.Cluster.Client.WaitForRunAsync("reported-run", cancellationToken: Ct)).State);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/runs/reported-run/report", Ct)).StatusCode);

        // The report kind writes into the folder it reports on; its one range runs on the silo.
        var report = new JsonObject { ["kind"] = "report", ["out"] = "out/reported", ["run_id"] = "report-of-reported", ["threads"] = 2 };
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/runs", report, Ct)).StatusCode);
        var status = await fixture.Cluster.Client.WaitForRunAsync("report-of-reported", cancellationToken: Ct);
        Assert.True(status.State == RunState.Completed, status.Error);
        foreach (var file in new[] { "report.html", "report.json", "tsne.parquet", "figures/loadings_heatmap.png", "figures/tsne_dnn.svg" })
        {
            Assert.True(File.Exists(Path.Combine(fixture.DataRoot, "out", "reported", file)), file);
        }

        var served = await http.GetAsync("api/runs/reported-run/report", Ct);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("text/html", served.Content.Headers.ContentType?.MediaType);
        Assert.Contains("What each dimension means in each country", await served.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // A folder that is no run's output is refused at submission, naming the field.
        var missing = await http.PostAsJsonAsync("api/runs", new JsonObject { ["kind"] = "report", ["out"] = "out/nothing-here" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("output", await missing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crop_run_is_submitted_over_http_and_bad_crop_settings_are_refused()
    {
        var study = Path.Combine(fixture.DataRoot, "studies", "tiny");
        await Synthetic.SyntheticStudyGenerator.GenerateAsync(
            Synthetic.SyntheticStudy.Create(new Synthetic.SyntheticStudyOptions { Seeds = 1, MimicsPerSeed = 6, Seed = 3, Threads = 2 }), study, overwrite: false, cancellationToken: Ct);
        using var http = fixture.Client();

        var refused = await http.PostAsJsonAsync(
            "api/runs", new JsonObject { ["kind"] = "crop", ["study"] = "studies/tiny", ["out"] = "crops/refused", ["shard_size"] = 0 }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("the shard size", (await refused.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]!.GetValue<string>(), StringComparison.Ordinal);

        var created = await http.PostAsJsonAsync(
            "api/runs",
            new JsonObject { ["kind"] = "crop", ["study"] = "studies/tiny", ["out"] = "crops/tiny", ["run_id"] = "crop-http", ["shard_size"] = 4 },
            Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var status = await fixture.Cluster.Client.WaitForRunAsync("crop-http", cancellationToken: Ct);
        Assert.True(status.State == RunState.Completed, status.Error);
        var set = Studies.Crops.CropSet.Open(Path.Combine(fixture.DataRoot, "crops", "tiny"));
        Assert.True(set.IsComplete);
        Assert.Equal(7, set.Manifest.ImageCount);
        Assert.Equal(2, set.Shards.Count);
    }

    [Fact]
    public async Task Delete_cancels_a_run_and_results_are_a_conflict_until_completed()
    {
        using var http = fixture.Client();
        var body = ApiFixture.SmallRun("out/cancelled", "cancel-run");
        body["bootstrap"] = 2000;
        body["replicates"] = 10000;
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/runs", body, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await http.GetAsync("api/runs/cancel-run/results", Ct)).StatusCode);

        var cancelled = await http.DeleteAsync("api/runs/cancel-run", Ct);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonObject>(Ct))!["state"]!.GetValue<string>());
        Assert.Equal("cancelled", (await http.GetFromJsonAsync<JsonObject>("api/runs/cancel-run", Ct))!["state"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/runs/no-such-run", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync("api/runs/no-such-run", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_dashboard_is_on_by_default_behind_the_bearer_tokens()
    {
        using var anonymous = fixture.Client(token: null);
        using var wrong = fixture.Client("wrong-token-value-42");
        using var right = fixture.Client();
        foreach (var path in new[] { "dashboard", "dashboard/", "dashboard/index.min.js", "dashboard/version", "dashboard/DashboardCounters", "dashboard/ClusterStats" })
        {
            var none = await anonymous.GetAsync(path, Ct);
            Assert.True(none.StatusCode == HttpStatusCode.Unauthorized, $"{path} without a token: {none.StatusCode}");
            Assert.Equal("Bearer", Assert.Single(none.Headers.WwwAuthenticate).Scheme);
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(path, Ct)).StatusCode);
        }

        var page = await right.GetAsync("dashboard/", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("index.min.js", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var script = await right.GetAsync("dashboard/index.min.js", Ct);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync(Ct)).Length > 1000);

        // The JSON comes from the dashboard's grains on the silo, which count the silo once they have collected.
        var counters = await Until(
            async () =>
            {
                var response = await right.GetAsync("dashboard/DashboardCounters", Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                return (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
            },
            json => json["totalActiveHostCount"]?.GetValue<int>() == 1,
            "the dashboard's counters to show the silo");
        Assert.Single(counters["hosts"]!.AsArray());
    }

    [Fact]
    public async Task The_dashboard_can_be_turned_off()
    {
        await using var api = await FaceClusterApiHost.StartAsync(
            fixture.Cluster.Client, fixture.Configuration(("FaceCluster:Api:Dashboard", "false")), cancellationToken: Ct);
        using var right = fixture.Client(api: api);
        using var anonymous = fixture.Client(token: null, api: api);

        foreach (var path in new[] { "dashboard/", "dashboard/index.min.js", "dashboard/DashboardCounters" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await right.GetAsync(path, Ct)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("api/runs", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("api/runs", Ct)).StatusCode);
    }

    [Fact]
    public async Task Traces_and_metrics_are_exported_over_otlp_http_while_a_run_executes()
    {
        await using var collector = await OtlpCollector.StartAsync(Ct);
        var service = $"facecluster-otlp-test-{Guid.NewGuid():N}";
        await using var api = await FaceClusterApiHost.StartAsync(
            fixture.Cluster.Client,
            fixture.Configuration(
                ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.BaseAddress.ToString().TrimEnd('/')),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_SERVICE_NAME", service),
                ("OTEL_BSP_SCHEDULE_DELAY", "100"),
                ("OTEL_METRIC_EXPORT_INTERVAL", "250")),
            cancellationToken: Ct);
        using var http = fixture.Client(api: api);

        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/runs", ApiFixture.SmallRun("out/otlp", "otlp-run"), Ct)).StatusCode);
        var status = await fixture.Cluster.Client.WaitForRunAsync("otlp-run", cancellationToken: Ct);
        Assert.Equal(RunState.Completed, status.State);

        // The run's spans (tagged with its id) and its counters reach the collector, under the service name.
        await Until(
            () => Task.FromResult(collector.Received("/v1/traces", service, "facecluster.run_id", "otlp-run")),
            received => received,
            "spans of the run at POST /v1/traces");
        await Until(
            () => Task.FromResult(collector.Received("/v1/metrics", service, "facecluster.replicates.completed", "facecluster.folds.completed")),
            received => received,
            "the run's counters at POST /v1/metrics");
        Assert.All(collector.Bodies("/v1/traces").Concat(collector.Bodies("/v1/metrics")), body => Assert.NotEmpty(body));
        Assert.All(collector.ContentTypes("/v1/traces").Concat(collector.ContentTypes("/v1/metrics")), type => Assert.Equal("application/x-protobuf", type));
    }

    [Fact]
    public async Task The_active_runs_gauge_counts_the_unfinished_runs_of_the_whole_cluster()
    {
        using var scraper = fixture.Client(token: null);
        var registry = fixture.Cluster.Client.GetGrain<IRunRegistryGrain>(0);
        async Task Expect(int count, string what) => await Until(
            async () => ActiveRunsGauge(await scraper.GetStringAsync("metrics", Ct)),
            gauge => gauge == count,
            $"facecluster_runs_active {count} at /metrics: {what}");
        var baseline = (await registry.ListUnfinished()).Count;
        await Expect(baseline, "the registry's unfinished runs");

        // The registry is the cluster's list: a run counts whichever silo's coordinator registered it, including one that
        // no coordinator in this process knows (registered here as another silo's coordinator would).
        await registry.Register("gauge-elsewhere", "gauge-elsewhere-out", null);
        try
        {
            await Expect(baseline + 1, "with a run registered elsewhere");
            using var http = fixture.Client();
            var body = ApiFixture.SmallRun("out/gauge", "gauge-run");
            body["replicates"] = 10000;
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/runs", body, Ct)).StatusCode);
            await Expect(baseline + 2, "with a run of this process as well");
            Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync("api/runs/gauge-run", Ct)).StatusCode);
            await Expect(baseline + 1, "once that run is cancelled");
        }
        finally
        {
            await registry.MarkFinished("gauge-elsewhere");
        }

        await Expect(baseline, "once the other run is finished too");
    }

    [Fact]
    public async Task Health_and_readiness_need_no_token()
    {
        using var http = fixture.Client(token: null);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz", Ct)).StatusCode);
    }

    [Fact]
    public async Task Cli_submit_wait_status_and_results_talk_to_the_api()
    {
        var tokenFile = Path.Combine(fixture.Folder, "token");
        await File.WriteAllTextAsync(tokenFile, ApiFixture.Token + "\n", Ct);
        var api = fixture.Api.BaseAddress.ToString();
        var submit = await Cli(
            "submit", "--api", api, "--token-file", tokenFile, "--x", ApiFixture.XPath, "--y", ApiFixture.YPath, "--out", "out/cli",
            "--bootstrap", "50", "--replicates", "6", "--inner-bootstrap", "20", "--run-id", "cli-run", "--wait");
        Assert.True(submit.ExitCode == 0, submit.Error);
        Assert.Equal("completed", JsonNode.Parse(submit.Output)!["state"]!.GetValue<string>());

        var status = await Cli("status", "cli-run", "--api", api, "--token-file", tokenFile);
        Assert.True(status.ExitCode == 0, status.Error);
        Assert.Equal("cli-run", JsonNode.Parse(status.Output)!["run_id"]!.GetValue<string>());

        var results = await Cli("results", "cli-run", "--api", api, "--token-file", tokenFile);
        Assert.True(results.ExitCode == 0, results.Error);
        Assert.NotNull(JsonNode.Parse(results.Output)!["summary"]);

        var wrong = Path.Combine(fixture.Folder, "wrong-token");
        await File.WriteAllTextAsync(wrong, "nope", Ct);
        var unauthorized = await Cli("status", "cli-run", "--api", api, "--token-file", wrong);
        Assert.Equal(2, unauthorized.ExitCode);
        Assert.Contains("401", unauthorized.Error, StringComparison.Ordinal);

        var missing = await Cli("status", "no-such-run", "--api", api, "--token-file", tokenFile);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no run", missing.Error, StringComparison.Ordinal);

        var badPath = await Cli("submit", "--api", api, "--token-file", tokenFile, "--x", "../x", "--y", ApiFixture.YPath, "--out", "out/x");
        Assert.Equal(2, badPath.ExitCode);
        Assert.Contains("leaves the data root", badPath.Error, StringComparison.Ordinal);

        var refused = await Cli("status", "cli-run", "--api", $"http://127.0.0.1:{ClosedPort()}", "--token-file", tokenFile);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("cannot connect", refused.Error, StringComparison.Ordinal);
        Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The value of <c>facecluster_runs_active</c> in a Prometheus scrape, or null when absent.</summary>
    private static long? ActiveRunsGauge(string scrape)
    {
        var match = Regex.Match(scrape, @"^facecluster_runs_active(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> (a deadline, no fixed sleeps).</summary>
    private static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"gave up waiting for {what}; last seen: {value}");
            }

            await Task.Delay(50, Ct);
        }
    }

    private static JsonObject Comparable(JsonObject summary)
    {
        var copy = summary.DeepClone().AsObject();
        copy.Remove("timings_seconds");
        copy.Remove("inputs");
        copy.Remove("execution");
        (copy["parameters"] as JsonObject)?.Remove("threads");
        return copy;
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int ExitCode, string Output, string Error)> Cli(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApplication.RunAsync(args, new CliContext(output, error), Ct);
        return (exitCode, output.ToString(), error.ToString());
    }
}
