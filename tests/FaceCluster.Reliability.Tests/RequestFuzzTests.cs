using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceCluster.Grains;
using FaceCluster.Grains.Tests;
using FaceCluster.Hosting;
using FaceCluster.Learning.Grains;
using FaceCluster.Tables;

namespace FaceCluster.Reliability.Tests;

/// <summary>
/// A bounded, seeded fuzzer of requests and tables against a real cluster. The contract: a request is refused with one
/// line naming the field (or its value), or it runs and ends (completed with finite numbers, failed with one line, or
/// cancelled) while the cluster keeps answering; never a dead silo, an "unexpected" error, a NaN result or a hang.
/// </summary>
public sealed class RequestFuzzTests : IDisposable
{
    private const int Seed = 20261206;
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(10);
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-fuzz-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A valid parameter record of each kind, whose inputs exist (placeholders where only existence is checked).</summary>
    private static IEnumerable<(string Kind, Type Parameters, JsonObject Base)> Kinds() =>
    [
        ("ppca", typeof(PpcaParameters), new JsonObject { ["x"] = TestInputs.XPath, ["y"] = TestInputs.YPath, ["bootstrap"] = 20, ["replicates"] = 2 }),
        ("gppca", typeof(GppcaParameters), new JsonObject { ["judgments"] = TestInputs.YPath }),
        ("aggregate", typeof(StudyAggregateParameters), new JsonObject { ["study"] = "study" }),
        ("crop", typeof(CropParameters), new JsonObject { ["study"] = "study" }),
        ("train", typeof(TrainParameters), new JsonObject { ["study"] = "study", ["targets"] = TestInputs.YPath, ["crops"] = "crops" }),
        ("predict", typeof(PredictParameters), new JsonObject { ["model"] = "model", ["crops"] = "crops" }),
        ("pipeline", typeof(PipelineParameters), new JsonObject { ["study"] = "study" }),
        ("morph", typeof(MorphParameters), new JsonObject { ["study"] = "study", ["crops"] = "crops", ["ppca"] = "ppca" }),
    ];

    /// <summary>Every numeric setting of a parameter record, by JSON path (nested option records included).</summary>
    private static IEnumerable<(string[] Path, Type Type)> NumericFields(Type type, string[] prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is not null))
        {
            var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (valueType == typeof(int) || valueType == typeof(double) || valueType == typeof(ulong) || valueType == typeof(long))
            {
                yield return ([.. prefix, name], valueType);
            }
            else if (valueType.IsClass && valueType != typeof(string) && valueType.Namespace?.StartsWith("FaceCluster", StringComparison.Ordinal) == true)
            {
                foreach (var inner in NumericFields(valueType, [.. prefix, name]))
                {
                    yield return inner;
                }
            }
        }
    }

    private static JsonNode[] Values(Type type, Random random) => type == typeof(double)
        ? [-1.0, 0.0, 1e-300, 0.5, 1.0, 7.0, 1e300, random.NextDouble() * 200 - 100]
        : type == typeof(ulong)
            ? [0UL, 1UL, ulong.MaxValue, (ulong)random.NextInt64()]
            : [int.MinValue, -1, 0, 1, 2, 65_537, 1_000_001, int.MaxValue, random.Next(-1000, 200_000)];

    [Fact]
    public async Task Random_option_values_at_and_beyond_every_range_are_refused_naming_the_field_or_run_without_harm()
    {
        await TestInputs.WriteAsync(_root, Ct);
        foreach (var folder in new[] { "study", "crops", "model", "ppca" })
        {
            Directory.CreateDirectory(Path.Combine(_root, folder));
        }

        await File.WriteAllTextAsync(Path.Combine(_root, "study", "study.json"), "{}", Ct);
        await using var harness = await ClusterHarness.StartAsync(1, _root, o => o.WorkerSlots = 1);
        var random = new Random(Seed);
        var (refused, accepted, n) = (0, 0, 0);
        foreach (var (kind, parameters, body) in Kinds())
        {
            foreach (var (path, type) in NumericFields(parameters, []))
            {
                // A bounded sample: the extremes always, two more at random.
                var values = Values(type, random);
                foreach (var value in values.Take(1).Concat(values.TakeLast(2)).Concat(values.OrderBy(_ => random.Next()).Take(2)))
                {
                    var request = body.DeepClone().AsObject();
                    Set(request, path, value.DeepClone());
                    var runId = $"fuzz-{n++}";
                    var outcome = await SubmitAsync(harness, runId, new RunRequest(kind, $"out/{runId}", request.ToJsonString()));
                    if (outcome is { } message)
                    {
                        refused++;
                        AssertRefusal(message, path, value, kind);
                    }
                    else
                    {
                        accepted++;
                        await CancelAndAssertEndedAsync(harness, runId);
                    }
                }
            }
        }

        // Values that are not numbers at all: refused naming the field.
        foreach (var (kind, parameters, body) in Kinds())
        {
            if (NumericFields(parameters, []).OrderBy(_ => random.Next()).FirstOrDefault() is not { Path: { } path })
            {
                continue;
            }

            foreach (var junk in new JsonNode?[] { "NaN", "1e999", JsonNode.Parse("[1]"), JsonNode.Parse("{}"), null, true })
            {
                var request = body.DeepClone().AsObject();
                Set(request, path, junk);
                var runId = $"fuzz-{n++}";
                var message = await SubmitAsync(harness, runId, new RunRequest(kind, $"out/{runId}", request.ToJsonString()));
                if (message is null)
                {
                    // null for an optional number is its default.
                    Assert.True(junk is null, $"{kind} {string.Join('.', path)} = {junk?.ToJsonString()} was accepted");
                    await CancelAndAssertEndedAsync(harness, runId);
                    continue;
                }

                AssertOneLine(message);
                Assert.True(Names(message, path[^1]), $"{kind} {string.Join('.', path)} = {junk?.ToJsonString()}: the refusal does not name the field: {message}");
            }
        }

        Assert.True(refused > 100 && accepted > 20, $"refused {refused}, accepted {accepted}: the sample must exercise both sides");
        Assert.Single(harness.Cluster.Silos);
        await harness.Client.GetGrain<IRunRegistryGrain>(0).List().AsTask().WaitAsync(Answer, Ct);
    }

    [Fact]
    public async Task Random_tables_give_finite_results_or_one_line_naming_the_file()
    {
        await using var harness = await ClusterHarness.StartAsync(1, _root, o => o.WorkerSlots = 1);
        var random = new Random(Seed);
        var (completed, failed) = (0, 0);
        var errors = new List<string>();
        for (var i = 0; i < 24; i++)
        {
            var folder = Path.Combine(_root, "tables", $"t{i}");
            Directory.CreateDirectory(folder);
            // Most tables are sound; the others carry one kind of trouble each.
            var trouble = random.Next(8);
            var rows = trouble == 7 ? random.Next(0, 3) : random.Next(8, 40);
            var columns = trouble == 7 ? random.Next(0, 2) : random.Next(2, 7);
            var ids = Enumerable.Range(0, rows).Select(r => $"s{r}").ToArray();
            if (trouble == 4 && rows > 1)
            {
                ids[^1] = ids[0];
            }

            await File.WriteAllTextAsync(Path.Combine(folder, "x.csv"), Table(ids, columns, random, trouble == 3), Ct);
            var yIds = trouble == 5 ? [.. ids.Reverse().Skip(1)] : ids;
            await File.WriteAllTextAsync(Path.Combine(folder, "y.csv"), Table(yIds, trouble == 6 ? columns + 1 : columns, random, bad: false), Ct);
            var runId = $"table-{i}";
            var request = RunParameters.Request("ppca", $"out/{runId}", new PpcaParameters { X = $"tables/t{i}/x.csv", Y = $"tables/t{i}/y.csv", Bootstrap = 10, Replicates = 2, Threads = 1 });
            var refusal = await SubmitAsync(harness, runId, request);
            if (refusal is not null)
            {
                failed++;
                errors.Add(refusal);
                AssertOneLine(refusal);
                continue;
            }

            var status = await Poll.FinishedAsync(harness.Client, runId, TimeSpan.FromMinutes(2));
            if (status.State == RunState.Completed)
            {
                completed++;
                foreach (var table in Directory.EnumerateFiles(Path.Combine(_root, "out", runId), "*.parquet"))
                {
                    AssertFinite(table);
                }
            }
            else
            {
                failed++;
                errors.Add(status.Error!);
                Assert.Equal(RunState.Failed, status.State);
                AssertOneLine(status.Error!);
                Assert.True(status.Error!.Contains("x.csv", StringComparison.Ordinal) || status.Error.Contains("y.csv", StringComparison.Ordinal), status.Error);
            }
        }

        Assert.True(completed > 0 && failed > 0, $"completed {completed}, failed {failed}: the tables must exercise both sides; {string.Join(" | ", errors)}");
        Assert.Single(harness.Cluster.Silos);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A CSV wide table whose cells are drawn from ordinary values and every kind of trouble.</summary>
    private static string Table(string[] ids, int columns, Random random, bool bad)
    {
        string[] palette = ["NaN", "Infinity", "-Infinity", "1e160", "1e200", "1.7e308", "", "oops"];
        var text = new StringBuilder("seed_id");
        for (var c = 0; c < columns; c++)
        {
            text.Append(CultureInfo.InvariantCulture, $",a{c}");
        }

        text.Append('\n');
        var badRow = bad ? random.Next(ids.Length) : -1;
        for (var row = 0; row < ids.Length; row++)
        {
            text.Append(ids[row]);
            for (var c = 0; c < columns; c++)
            {
                var cell = row == badRow && c == columns - 1
                    ? palette[random.Next(palette.Length)]
                    : (random.NextDouble() * 10).ToString("R", CultureInfo.InvariantCulture);
                text.Append(',').Append(cell);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static void Set(JsonObject body, string[] path, JsonNode? value)
    {
        var node = body;
        foreach (var name in path[..^1])
        {
            node = (JsonObject)(node[name] ??= new JsonObject());
        }

        node[path[^1]] = value;
    }

    /// <summary>Starts the run; the refusal's message, or null when it started.</summary>
    private static async Task<string?> SubmitAsync(ClusterHarness harness, string runId, RunRequest request)
    {
        try
        {
            await harness.Client.GetGrain<IRunCoordinatorGrain>(runId).Start(request).AsTask().WaitAsync(Answer, Ct);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    private static void AssertRefusal(string message, string[] path, JsonNode value, string kind)
    {
        AssertOneLine(message);
        var raw = value.ToJsonString();
        var number = double.Parse(raw, CultureInfo.InvariantCulture);
        var named = Names(message, path[^1])
            || message.Contains(raw, StringComparison.Ordinal)
            || message.Contains(number.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.True(named, $"{kind} {string.Join('.', path)} = {raw}: the refusal names neither the field nor the value: {message}");
    }

    /// <summary>Whether <paramref name="message"/> names <paramref name="field"/>, as <c>batch_size</c>, "batch size" or "batch-size".</summary>
    private static bool Names(string message, string field)
    {
        static string Letters(string text) => new([.. text.Where(char.IsAsciiLetterOrDigit).Select(char.ToLowerInvariant)]);
        return Letters(message).Contains(Letters(field), StringComparison.Ordinal);
    }

    private static void AssertOneLine(string message)
    {
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain("unexpected", message, StringComparison.OrdinalIgnoreCase);
        Assert.True(message.Length < 4000, $"a message of {message.Length} characters");
    }

    private static async Task CancelAndAssertEndedAsync(ClusterHarness harness, string runId)
    {
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>(runId);
        var status = await coordinator.Cancel().AsTask().WaitAsync(Answer, Ct);
        Assert.True(status.State.IsFinished(), $"{runId} is {status.State} after cancel");
        if (status.State == RunState.Failed)
        {
            AssertOneLine(status.Error!);
        }
    }

    /// <summary>
    /// Every estimate is finite. The statistics of a dimension whose held-out scores do not vary (degenerate tables) are
    /// undefined, and analysis.md says what they are then (NaN or infinite snr); such a dimension is never significant.
    /// </summary>
    private static void AssertFinite(string table)
    {
        string[] undefinedWhenDegenerate = ["r", "sd", "snr", "p", "q"];
        var degenerate = Path.GetFileName(table) == "dimensions.parquet";
        foreach (var column in ParquetTableReader.ReadAll(table).Columns.Where(c => c.ValueType == typeof(double) && !(degenerate && undefinedWhenDegenerate.Contains(c.Name))))
        {
            for (var row = 0; row < column.Length; row++)
            {
                if (column.GetValue(row) is double value)
                {
                    Assert.True(double.IsFinite(value), $"{Path.GetFileName(table)} {column.Name} row {row}: {value}");
                }
            }
        }
    }
}
