using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Outputs;
using FaceCluster.Tables;

namespace FaceCluster.Grains;

/// <summary>The stages of a <c>ppca</c> run, in order.</summary>
public static class PpcaStages
{
    /// <summary>Read and check the inputs (one unit).</summary>
    public const string Prepare = "prepare";

    /// <summary>Leave-one-out folds of the all-rows analysis (section 2), one unit per stimulus.</summary>
    public const string LeaveOneOut = "leave-one-out";

    /// <summary>Dimension bootstrap, selection and varimax of the all-rows analysis (sections 3-6), one unit.</summary>
    public const string Bootstrap = "bootstrap";

    /// <summary>Loading-significance replicates (section 7), one unit per replicate index.</summary>
    public const string Replicates = "replicates";

    /// <summary>The shards into the outputs (one unit).</summary>
    public const string Aggregate = "aggregate";
}

/// <summary>
/// PPCA of X (DNN outputs) against Y (human judgments) with loading-significance replicates (analysis sections 1-7, 9):
/// prepare, leave-one-out folds in guided ranges, the all-rows bootstrap, replicates in guided ranges, aggregate.
/// Shards (under the run's <c>shards/</c>): <c>prepare.json</c>; <c>loo-F-C.parquet</c> (held-out scores of folds
/// [F, F+C)); <c>main-dimensions.parquet</c>, <c>main-loadings.parquet</c> and, written last, <c>main.json</c>;
/// <c>replicates-F-C.parquet</c> (match lengths); <c>execution.json</c> (timings, written before aggregation). The
/// outputs are complete once <c>summary.json</c> is there. Every range is a pure function of its indices, so any cut and
/// any number of silos give the same bytes.
/// </summary>
public sealed class PpcaRunKind(InputCache cache) : IRunKind
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "ppca";

    /// <summary>Folds the fast leave-one-out computes together: guided fold ranges are whole batches of them.</summary>
    private const int FoldBatch = 8;

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(RunRequest request, string dataRoot)
    {
        var errors = RunParameters.Validate<PpcaParameters>(request, dataRoot);
        KindChecks.NewOutput(errors, dataRoot, request);
        return errors;
    }

    /// <inheritdoc />
    public string ShardOf(RunFiles files, RunRequest request, string stage, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(files);
        return stage switch
        {
            PpcaStages.Prepare => PrepareShard(files),
            PpcaStages.LeaveOneOut => files.RangeShard("loo", first, count),
            PpcaStages.Bootstrap => MainMarker(files),
            PpcaStages.Replicates => files.RangeShard("replicates", first, count),
            PpcaStages.Aggregate => Path.Combine(files.Output(request), "summary.json"),
            _ => throw new ArgumentException($"A ppca run has no stage '{stage}'.", nameof(stage)),
        };
    }

    /// <inheritdoc />
    public IEnumerable<string> FilesOf(RunFiles files, RunRequest request, string stage, int first, int count) => stage switch
    {
        PpcaStages.Bootstrap => [MainDimensions(files), MainLoadings(files), MainMarker(files)],
        PpcaStages.Aggregate => RunFiles.FilesUnder(files.Output(request)),
        _ => [ShardOf(files, request, stage, first, count)],
    };

    /// <inheritdoc />
    public async Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        var parameters = RunParameters.Read<PpcaParameters>(planning.Request);
        var files = planning.Files;
        switch (planning.CompletedStage)
        {
            case null:
                return StagePlan.One(PpcaStages.Prepare);
            case PpcaStages.Prepare:
                var shape = await StageTasks.ReadJsonAsync<PrepareResult>(PrepareShard(files), cancellationToken).ConfigureAwait(false);
                return new StagePlan(PpcaStages.LeaveOneOut, shape.Stimuli, FoldRanges(parameters, shape.Stimuli, planning.ClusterSlots));
            case PpcaStages.LeaveOneOut:
                return StagePlan.One(PpcaStages.Bootstrap);
            case PpcaStages.Bootstrap:
                var main = await StageTasks.ReadJsonAsync<MainResult>(MainMarker(files), cancellationToken).ConfigureAwait(false);
                var replicates = parameters.ToOptions().Replicates;
                if (replicates > 0 && main.SignificantDimensions > 0)
                {
                    var ranges = parameters.RangeSize > 0
                        ? RangeSchedule.Fixed(replicates, parameters.RangeSize)
                        : RangeSchedule.Guided(replicates, planning.ClusterSlots, maximum: planning.Options.MaxReplicatesPerRange);
                    return new StagePlan(PpcaStages.Replicates, replicates, ranges);
                }

                await WriteExecutionAsync(planning, parameters, cancellationToken).ConfigureAwait(false);
                return StagePlan.One(PpcaStages.Aggregate);
            case PpcaStages.Replicates:
                await WriteExecutionAsync(planning, parameters, cancellationToken).ConfigureAwait(false);
                return StagePlan.One(PpcaStages.Aggregate);
            default:
                return null;
        }
    }

    /// <inheritdoc />
    public Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var (files, request, range) = (work.Files, work.Request, work.Range);
        var parameters = RunParameters.Read<PpcaParameters>(request);
        return range.Stage switch
        {
            PpcaStages.Prepare => StageTasks.Whole(PrepareAsync(files, parameters, cache, cancellationToken)),
            PpcaStages.LeaveOneOut => LeaveOneOutAsync(files, parameters, range.First, range.Count, cache, cancellationToken),
            PpcaStages.Bootstrap => StageTasks.Whole(BootstrapAsync(files, parameters, cache, cancellationToken)),
            PpcaStages.Replicates => ReplicatesAsync(files, parameters, range.First, range.Count, cache, cancellationToken),
            PpcaStages.Aggregate => StageTasks.Whole(AggregateAsync(files, request, parameters, cache, cancellationToken)),
            _ => throw new ArgumentException($"A ppca run has no stage '{range.Stage}'.", nameof(work)),
        };
    }

    /// <summary>The shard of the prepare stage.</summary>
    public static string PrepareShard(RunFiles files) => files.Shard("prepare.json");

    /// <summary>The dimensions of the all-rows analysis.</summary>
    public static string MainDimensions(RunFiles files) => files.Shard("main-dimensions.parquet");

    /// <summary>The rotated loadings of the all-rows analysis (the replicates' reference).</summary>
    public static string MainLoadings(RunFiles files) => files.Shard("main-loadings.parquet");

    /// <summary>Written last by the bootstrap stage.</summary>
    public static string MainMarker(RunFiles files) => files.Shard("main.json");

    /// <summary>Timings and scheduling facts for <c>summary.json</c>.</summary>
    public static string Execution(RunFiles files) => files.Shard("execution.json");

    /// <summary>
    /// The request's fixed range size, or guided ranges in whole batches of the fast method's 8 folds, at most about a
    /// 32nd of the folds (so progress moves in steps of about 3% at the most).
    /// </summary>
    private static IReadOnlyList<(int First, int Count)> FoldRanges(PpcaParameters parameters, int stimuli, int slots)
    {
        if (parameters.RangeSize > 0)
        {
            return RangeSchedule.Fixed(stimuli, parameters.RangeSize);
        }

        var largest = Math.Max(FoldBatch, ((stimuli + 31) / 32 + FoldBatch - 1) / FoldBatch * FoldBatch);
        return RangeSchedule.Guided(stimuli, slots, minimum: FoldBatch, granule: FoldBatch, maximum: largest);
    }

    private static Task WriteExecutionAsync(RunPlanning planning, PpcaParameters parameters, CancellationToken cancellationToken)
    {
        var timings = new JsonObject();
        foreach (var stage in planning.Stages.Where(s => s.FinishedAt is not null))
        {
            var key = stage.Name switch
            {
                PpcaStages.LeaveOneOut => "leave_one_out",
                PpcaStages.Replicates => "loading_significance",
                _ => stage.Name,
            };
            timings[key] = Math.Round((stage.FinishedAt!.Value - stage.StartedAt!.Value).TotalSeconds, 3);
        }

        var ranges = planning.Stages.SelectMany(s => s.Ranges).ToList();
        var execution = new JsonObject
        {
            ["timings_seconds"] = timings,
            ["execution"] = new JsonObject
            {
                ["mode"] = "cluster",
                ["run_id"] = planning.RunId,
                ["silos"] = ranges.Select(r => r.Silo).Where(s => s is not null).Distinct().Count(),
                ["ranges"] = ranges.Count,
                ["range_schedule"] = parameters.RangeSize > 0 ? "fixed" : "guided",
                ["range_size"] = new JsonObject
                {
                    ["leave_one_out"] = planning.Stages.FirstOrDefault(s => s.Name == PpcaStages.LeaveOneOut)?.RangeSize,
                    ["replicates"] = planning.Stages.FirstOrDefault(s => s.Name == PpcaStages.Replicates)?.RangeSize,
                },
                ["reassigned_attempts"] = ranges.Sum(r => r.Reassignments),
                ["failed_attempts"] = ranges.Sum(r => r.Failures),
            },
        };
        return AtomicFile.WriteJsonAsync(Execution(planning.Files), execution, cancellationToken);
    }

    /// <summary>What the prepare stage found: the shape of the inputs.</summary>
    /// <param name="Stimuli">Rows <c>n</c>.</param>
    /// <param name="Attributes">Columns <c>p</c>.</param>
    /// <param name="Dimensions">Tested dimensions <c>k</c>.</param>
    public sealed record PrepareResult(int Stimuli, int Attributes, int Dimensions);

    /// <summary>What the bootstrap stage found.</summary>
    /// <param name="SignificantDimensions"><c>s</c>.</param>
    /// <param name="RefittedFolds">Folds that the fast leave-one-out refitted in full.</param>
    public sealed record MainResult(int SignificantDimensions, int RefittedFolds);

    private static Task<PpcaInputs> PpcaInputsAsync(RunFiles files, PpcaParameters parameters, InputCache cache, CancellationToken cancellationToken) =>
        cache.GetPpcaAsync(files.Resolve(parameters.X), files.Resolve(parameters.Y), cancellationToken);

    /// <summary>The cores a one-unit stage may use on this silo.</summary>
    private static int Threads(PpcaParameters parameters) => parameters.Threads > 0 ? parameters.Threads : Environment.ProcessorCount;

    private static async Task PrepareAsync(RunFiles files, PpcaParameters parameters, InputCache cache, CancellationToken cancellationToken)
    {
        var inputs = await PpcaInputsAsync(files, parameters, cache, cancellationToken).ConfigureAwait(false);
        var options = parameters.ToOptions();
        var k = PpcaAnalysis.TestedDimensions(inputs.Attributes.Length, options);
        if (inputs.SeedIds.Length < 3)
        {
            throw new InvalidInputException($"an analysis needs at least 3 stimuli, got {inputs.SeedIds.Length}");
        }

        await AtomicFile.WriteJsonAsync(PrepareShard(files), new PrepareResult(inputs.SeedIds.Length, inputs.Attributes.Length, k), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Func<CancellationToken, Task>> LeaveOneOutAsync(
        RunFiles files, PpcaParameters parameters, int first, int count, InputCache cache, CancellationToken cancellationToken)
    {
        var inputs = await PpcaInputsAsync(files, parameters, cache, cancellationToken).ConfigureAwait(false);
        var options = parameters.ToOptions();
        var k = PpcaAnalysis.TestedDimensions(inputs.Attributes.Length, options);
        var n = inputs.SeedIds.Length;
        var scores = new HeldOutScores(new RowMajorMatrix(n, k), new RowMajorMatrix(n, k));
        var refitted = await StageTasks.Offload(
            () => LeaveOneOut.ComputeRange(inputs.X, inputs.Y, null, inputs.Fit, k, options.LeaveOneOut, first, count, scores, 1, null, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var columns = new List<ParquetColumn>
        {
            new("fold", Enumerable.Range(first, count).ToArray()),
            new("refitted_in_range", Enumerable.Repeat(refitted, count).ToArray()),
        };
        for (var j = 0; j < k; j++)
        {
            columns.Add(new ParquetColumn($"x_{j + 1}", Slice(scores.X, first, count, j)));
        }

        for (var j = 0; j < k; j++)
        {
            columns.Add(new ParquetColumn($"y_{j + 1}", Slice(scores.Y, first, count, j)));
        }

        return ct => ParquetTableWriter.WriteAsync(files.RangeShard("loo", first, count), columns, ct);
    }

    private static double[] Slice(RowMajorMatrix m, int first, int count, int column)
    {
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = m[first + i, column];
        }

        return values;
    }

    /// <summary>Assembles the held-out scores of every fold from the leave-one-out shards.</summary>
    public static async Task<HeldOutScores> ReadScoresAsync(RunFiles files, int n, int k, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        var scores = new HeldOutScores(new RowMajorMatrix(n, k), new RowMajorMatrix(n, k));
        var seen = new bool[n];
        var refitted = 0;
        foreach (var path in Directory.EnumerateFiles(files.Shards, "loo-*.parquet").Order(StringComparer.Ordinal))
        {
            var table = await ParquetTableReader.ReadAllAsync(path, cancellationToken).ConfigureAwait(false);
            var folds = (int[])table.FindColumn("fold")!.Values;
            if (folds.Length > 0)
            {
                refitted += ((int[])table.FindColumn("refitted_in_range")!.Values)[0];
            }

            for (var j = 0; j < k; j++)
            {
                var x = (double[])table.FindColumn($"x_{j + 1}")!.Values;
                var y = (double[])table.FindColumn($"y_{j + 1}")!.Values;
                for (var t = 0; t < folds.Length; t++)
                {
                    scores.X[folds[t], j] = x[t];
                    scores.Y[folds[t], j] = y[t];
                }
            }

            foreach (var fold in folds)
            {
                seen[fold] = true;
            }
        }

        var missing = Array.IndexOf(seen, false);
        if (missing >= 0)
        {
            throw new InvalidOperationException($"Run {files.RunId}: no leave-one-out shard holds fold {missing}.");
        }

        return scores with { RefittedFolds = refitted };
    }

    private static async Task BootstrapAsync(RunFiles files, PpcaParameters parameters, InputCache cache, CancellationToken cancellationToken)
    {
        var inputs = await PpcaInputsAsync(files, parameters, cache, cancellationToken).ConfigureAwait(false);
        var options = parameters.ToOptions() with { Threads = Threads(parameters) };
        var k = PpcaAnalysis.TestedDimensions(inputs.Attributes.Length, options);
        var scores = await ReadScoresAsync(files, inputs.SeedIds.Length, k, cancellationToken).ConfigureAwait(false);
        var main = await StageTasks.Offload(() => PpcaAnalysis.AnalyzeScores(inputs.Fit, scores, inputs.Attributes, options, null, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        await PpcaOutputs.WriteDimensionsAsync(MainDimensions(files), main.Dimensions, cancellationToken).ConfigureAwait(false);
        await PpcaOutputs.WriteLoadingsAsync(MainLoadings(files), main.Attributes, main.Labels, main.Loadings, cancellationToken).ConfigureAwait(false);
        await AtomicFile.WriteJsonAsync(MainMarker(files), new MainResult(main.SignificantCount, main.RefittedFolds), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Func<CancellationToken, Task>> ReplicatesAsync(
        RunFiles files, PpcaParameters parameters, int first, int count, InputCache cache, CancellationToken cancellationToken)
    {
        var inputs = await PpcaInputsAsync(files, parameters, cache, cancellationToken).ConfigureAwait(false);
        var (_, reference) = await cache.GetLoadingsAsync(MainLoadings(files), cancellationToken).ConfigureAwait(false);
        var options = parameters.ToOptions();
        var replicates = await StageTasks.Offload(
            () =>
            {
                var results = new LoadingReplicate[count];
                for (var r = 0; r < count; r++)
                {
                    if (files.IsCancelled)
                    {
                        throw new OperationCanceledException($"Run {files.RunId} was cancelled.");
                    }

                    results[r] = LoadingSignificance.RunReplicate(inputs.X, inputs.Y, reference, options, first + r, cancellationToken);
                }

                return results;
            },
            cancellationToken).ConfigureAwait(false);

        var columns = new List<ParquetColumn>
        {
            new("replicate", replicates.Select(r => r.Index).ToArray()),
            new("significant_dimensions", replicates.Select(r => r.SignificantDimensions).ToArray()),
        };
        for (var d = 0; d < reference.Columns; d++)
        {
            columns.Add(new ParquetColumn($"match_{d + 1}", replicates.Select(r => r.MatchLengths[d]).ToArray()));
        }

        return ct => ParquetTableWriter.WriteAsync(files.RangeShard("replicates", first, count), columns, ct);
    }

    /// <summary>Reads every replicate from the replicate shards.</summary>
    public static async Task<List<LoadingReplicate>> ReadReplicatesAsync(RunFiles files, int dimensions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        var replicates = new List<LoadingReplicate>();
        foreach (var path in Directory.EnumerateFiles(files.Shards, "replicates-*.parquet").Order(StringComparer.Ordinal))
        {
            var table = await ParquetTableReader.ReadAllAsync(path, cancellationToken).ConfigureAwait(false);
            var index = (int[])table.FindColumn("replicate")!.Values;
            var significant = (int[])table.FindColumn("significant_dimensions")!.Values;
            var matches = Enumerable.Range(0, dimensions).Select(d => (int[])table.FindColumn($"match_{d + 1}")!.Values).ToArray();
            for (var t = 0; t < index.Length; t++)
            {
                replicates.Add(new LoadingReplicate(index[t], significant[t], matches.Select(m => m[t]).ToArray()));
            }
        }

        return replicates;
    }

    private static async Task AggregateAsync(RunFiles files, RunRequest request, PpcaParameters parameters, InputCache cache, CancellationToken cancellationToken)
    {
        var inputs = await PpcaInputsAsync(files, parameters, cache, cancellationToken).ConfigureAwait(false);
        var options = parameters.ToOptions();
        var k = PpcaAnalysis.TestedDimensions(inputs.Attributes.Length, options);
        var dimensions = await PpcaOutputs.ReadDimensionsAsync(MainDimensions(files), cancellationToken).ConfigureAwait(false);
        var (labels, loadings) = await PpcaOutputs.ReadLoadingsAsync(MainLoadings(files), cancellationToken).ConfigureAwait(false);
        var scores = await ReadScoresAsync(files, inputs.SeedIds.Length, k, cancellationToken).ConfigureAwait(false);
        var execution = File.Exists(Execution(files)) ? JsonNode.Parse(await File.ReadAllTextAsync(Execution(files), cancellationToken).ConfigureAwait(false))!.AsObject() : [];
        var timings = new Dictionary<string, double>();
        foreach (var (step, seconds) in execution["timings_seconds"]?.AsObject() ?? [])
        {
            timings[step] = seconds!.GetValue<double>();
        }

        var result = new PpcaResult
        {
            Attributes = inputs.Attributes,
            Dimensions = dimensions,
            Loadings = loadings,
            Labels = labels,
            Scores = scores,
            Rotation = PpcaAnalysis.RotationOf(inputs.Fit, dimensions, loadings),
            LoadingSignificance = [],
            Preservation = PpcaAnalysis.PreservationOf(loadings, labels, inputs.Attributes, out var skipped),
            PreservationSkippedBecause = skipped,
            RefittedFolds = scores.RefittedFolds,
            TimingsSeconds = timings,
        };
        if (PpcaAnalysis.NeedsReplicates(result, options))
        {
            var replicates = await ReadReplicatesAsync(files, labels.Length, cancellationToken).ConfigureAwait(false);
            if (replicates.Count != options.Replicates || replicates.Select(r => r.Index).Distinct().Count() != options.Replicates)
            {
                throw new InvalidOperationException($"Run {files.RunId}: the replicate shards hold {replicates.Count} replicates, expected {options.Replicates} distinct ones.");
            }

            result = PpcaAnalysis.WithLoadingSignificance(result, replicates, options);
        }

        var inputNames = new JsonObject { ["x"] = parameters.XName ?? parameters.X, ["y"] = parameters.YName ?? parameters.Y };
        var extra = new JsonObject { ["execution"] = execution["execution"]?.DeepClone() ?? new JsonObject { ["mode"] = "cluster" } };
        using var output = StagedOutputDirectory.Create(files.Output(request), overwrite: true);
        await PpcaOutputs.WriteAsync(output.StagingPath, result, inputs.SeedIds, options, inputNames, cancellationToken, extra).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
