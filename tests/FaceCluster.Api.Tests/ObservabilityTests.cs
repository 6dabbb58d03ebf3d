using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FaceCluster.Grains;
using FaceCluster.Hosting;

namespace FaceCluster.Api.Tests;

/// <summary>
/// The Grafana dashboard and the Prometheus alert rules of <c>deploy/observability/</c> (shipped by the Helm chart too)
/// name only metrics that a silo really exports: a <c>/metrics</c> scrape of a silo that ran a whole pipeline (and a PPCA with replicates), or an
/// explicit allow-list of metrics that no silo exports (GPU metrics of NVIDIA's DCGM exporter, Prometheus' own
/// <c>up</c>), each with its reason.
/// </summary>
public sealed partial class ObservabilityTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    /// <summary>
    /// Metrics the dashboard or rules may name although the scrape of this test does not show them.
    /// </summary>
    private static readonly Dictionary<string, string> AllowedUnscraped = new(StringComparer.Ordinal)
    {
        // NVIDIA DCGM exporter (dcgm-exporter DaemonSet on the GPU pool); the dashboard marks these panels optional.
        ["DCGM_FI_DEV_GPU_UTIL"] = "external:dcgm-exporter",
        ["DCGM_FI_DEV_FB_USED"] = "external:dcgm-exporter",
        ["DCGM_FI_DEV_FB_FREE"] = "external:dcgm-exporter",

        // Prometheus' own series for every scrape target (silos scraped through the pods' annotations).
        ["up"] = "external:prometheus",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dashboard_and_alert_rules_name_only_metrics_a_silo_exports()
    {
        using var http = fixture.Client();

        // A whole pipeline of a tiny synthetic study (aggregate, crop, train, predict, PPCA, G-PPCA, report): every
        // stage's own instruments, Orleans' and ASP.NET Core's meters.
        var study = Path.Combine(fixture.DataRoot, "studies", "observability");
        await Synthetic.SyntheticStudyGenerator.GenerateAsync(
            Synthetic.SyntheticStudy.Create(new Synthetic.SyntheticStudyOptions { Seeds = 12, MimicsPerSeed = 4, Countries = ["CN", "US"], Concepts = 6, Dimensions = 3, Universal = 2, Seed = 5, Threads = 2 }),
            study,
            overwrite: false,
            cancellationToken: Ct);
        var pipeline = new JsonObject
        {
            ["kind"] = "pipeline", ["study"] = "studies/observability", ["out"] = "out/observability", ["run_id"] = "observability-pipeline",
            ["crop"] = new JsonObject { ["shard_size"] = 16 },
            ["training"] = new JsonObject { ["epochs"] = 1, ["batch_size"] = 8 },
            ["ppca"] = new JsonObject { ["bootstrap"] = 20, ["replicates"] = 4 },
        };
        var created = await http.PostAsJsonAsync("api/runs", pipeline, Ct);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));

        // The tiny study may have no significant dimension, and so no loading-significance replicates: a PPCA run of
        // planted data beside it has them.
        var ppca = new JsonObject
        {
            ["kind"] = "ppca", ["x"] = ApiFixture.XPath, ["y"] = ApiFixture.YPath, ["out"] = "out/observability-ppca",
            ["bootstrap"] = 50, ["replicates"] = 6, ["inner_bootstrap"] = 20, ["seed"] = 1, ["run_id"] = "observability-ppca",
        };
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/runs", ppca, Ct)).StatusCode);
        foreach (var run in new[] { "observability-pipeline", "observability-ppca" })
        {
            var status = await fixture.Cluster.Client.WaitForRunAsync(run, cancellationToken: Ct);
            Assert.True(status.State == RunState.Completed, $"{run}: {status.State} {status.Error}");
        }

        using var scraper = fixture.Client(token: null);
        var scrape = await scraper.GetStringAsync("metrics", Ct);
        var exported = ExportedNames(scrape);
        var repo = RepositoryRoot();
        var artifacts = Path.Combine(repo, "artifacts", "observability");
        Directory.CreateDirectory(artifacts);
        await File.WriteAllTextAsync(Path.Combine(artifacts, "metrics-scrape.txt"), scrape, Ct);

        // The instruments this change added show up where a pipeline stage ran.
        Assert.Contains("facecluster_crops_completed_total", exported);
        Assert.Contains("facecluster_training_faces_total", exported);
        Assert.Contains("facecluster_training_steps_total", exported);
        Assert.Contains("facecluster_training_loss", exported);
        Assert.Contains("facecluster_predictions_completed_total", exported);
        Assert.Contains("facecluster_replicates_completed_total", exported);

        var dashboard = Path.Combine(repo, "deploy", "observability", "grafana-dashboard.json");
        var rules = Path.Combine(repo, "deploy", "observability", "prometheus-rules.yaml");
        var expressions = DashboardExpressions(JsonNode.Parse(await File.ReadAllTextAsync(dashboard, Ct))!)
            .Select(e => ("dashboard", e))
            .Concat(RuleExpressions(await File.ReadAllTextAsync(rules, Ct)).Select(e => ("rules", e)))
            .ToList();
        Assert.True(expressions.Count(e => e.Item1 == "dashboard") >= 10, "the dashboard has its panels' queries");
        Assert.True(expressions.Count(e => e.Item1 == "rules") >= 4, "the rules have their alerts");

        var unknown = new List<string>();
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, expression) in expressions)
        {
            foreach (var metric in MetricNames(expression))
            {
                named.Add(metric);
                if (!exported.Contains(metric) && !exported.Contains(Family(metric)) && !AllowedUnscraped.ContainsKey(metric))
                {
                    unknown.Add($"{file}: {metric} (in {expression})");
                }
            }
        }

        Assert.True(unknown.Count == 0, "not exported by a silo's /metrics nor allow-listed:\n" + string.Join("\n", unknown));
        Assert.Contains("facecluster_crops_completed_total", named);
        Assert.Contains("facecluster_training_loss", named);
        Assert.Contains("DCGM_FI_DEV_GPU_UTIL", named);
    }

    [Fact]
    public void Metric_names_are_taken_from_promql()
    {
        Assert.Equal(
            ["facecluster_run_duration_seconds_bucket", "facecluster_ranges_finished_total"],
            MetricNames("histogram_quantile(0.9, sum by (le, facecluster_kind) (rate(facecluster_run_duration_seconds_bucket{job=~\"$job\"}[$__rate_interval]))) / on() group_left sum(rate(facecluster_ranges_finished_total{facecluster_outcome!=\"computed\"}[5m] offset 1h))"));
        Assert.Equal(["up"], MetricNames("count(up{job=\"facecluster\"} == 1) < 2 and 1 > bool 0"));
        Assert.Equal("facecluster_run_duration_seconds", Family("facecluster_run_duration_seconds_bucket"));
    }

    /// <summary>Every metric name in a scrape: sample names and the families of TYPE lines.</summary>
    private static HashSet<string> ExportedNames(string scrape)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                names.Add(line.Split(' ')[2]);
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                var name = SampleName().Match(line).Value;
                names.Add(name);
                names.Add(Family(name));
            }
        }

        return names;
    }

    /// <summary>A histogram's or summary's family name from one of its series.</summary>
    private static string Family(string metric) =>
        HistogramSuffix().Replace(metric, string.Empty);

    /// <summary>The <c>expr</c> of every panel target of the dashboard (nested rows included).</summary>
    private static IEnumerable<string> DashboardExpressions(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "expr" && value is JsonValue v && v.TryGetValue<string>(out var expr))
                    {
                        yield return expr;
                    }
                    else if (value is not null)
                    {
                        foreach (var inner in DashboardExpressions(value))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array.Where(i => i is not null))
                {
                    foreach (var inner in DashboardExpressions(item!))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }

    /// <summary>The <c>expr</c> of every rule (the file keeps each on one line, quoted or plain).</summary>
    private static IEnumerable<string> RuleExpressions(string yaml)
    {
        foreach (Match match in RuleExpr().Matches(yaml))
        {
            var value = match.Groups[1].Value.Trim();
            Assert.False(value is "|" or ">" or "|-" or ">-", "rules keep each expr on one line, for this test");
            if (value.Length >= 2 && value[0] is '"' or '\'' && value[^1] == value[0])
            {
                value = value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal);
            }

            yield return value;
        }
    }

    /// <summary>
    /// The metric names of a PromQL expression: strings, label matchers, ranges, durations and the label lists of
    /// <c>by</c>/<c>without</c>/<c>on</c>/<c>ignoring</c>/<c>group_left</c>/<c>group_right</c> removed, then every
    /// identifier that is not a function call, keyword or number.
    /// </summary>
    private static List<string> MetricNames(string expression)
    {
        var text = Strings().Replace(expression, "\"\"");
        text = Braces().Replace(text, " ");
        text = Brackets().Replace(text, " ");
        text = LabelLists().Replace(text, " ");
        text = Offset().Replace(text, " ");
        var names = new List<string>();
        foreach (Match match in Identifier().Matches(text))
        {
            var name = match.Groups[1].Value;
            var rest = text[(match.Index + match.Length)..].TrimStart();
            if (rest.StartsWith('(') || Keywords.Contains(name) || names.Contains(name, StringComparer.Ordinal))
            {
                continue;
            }

            names.Add(name);
        }

        return names;
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan", "Inf", "NaN",
    };

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaceCluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FaceCluster.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex SampleName();

    [GeneratedRegex(@"_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();

    [GeneratedRegex(@"^\s*expr:\s*(.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex RuleExpr();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")]
    private static partial Regex LabelLists();

    [GeneratedRegex(@"\boffset\s+-?[0-9a-zA-Z_$]+")]
    private static partial Regex Offset();

    [GeneratedRegex(@"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)")]
    private static partial Regex Identifier();
}
