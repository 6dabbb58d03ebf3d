using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Outputs;
using FaceCluster.Tables;

namespace FaceCluster.Grains;

/// <summary>
/// The computation of one work range of each stage (see <see cref="RunFiles"/> for the shards). Every range is a pure
/// function of the run's inputs, the request and the shards of earlier stages, and writes its shard atomically, so any
/// silo may compute it, any number of times, in any order, with the same bytes as a result.
/// </summary>
public static class StageWork
{
    /// <summary>The cores a one-unit stage may use on this silo.</summary>
    private static int Threads(RunRequest request) => request.Threads > 0 ? request.Threads : Environment.ProcessorCount;

    /// <summary>The analysis options of a PPCA request.</summary>
    public static PpcaOptions OptionsOf(RunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new PpcaOptions
        {
            Bootstrap = request.Bootstrap,
            Replicates = request.Replicates,
            InnerBootstrap = request.InnerBootstrap,
            Seed = request.Seed,
            LeaveOneOut = string.Equals(request.LeaveOneOut, "naive", StringComparison.OrdinalIgnoreCase) ? LeaveOneOutMethod.Naive : LeaveOneOutMethod.Fast,
            Threads = request.Threads,
        };
    }

    /// <summary>Computes <paramref name="range"/> of <paramref name="request"/> and writes its shard.</summary>
    /// <exception cref="InvalidInputException">The inputs are unusable (the run cannot succeed).</exception>
    public static async Task RunAsync(RunFiles files, RunRequest request, WorkRange range, InputCache cache, CancellationToken cancellationToken)
    {
        var write = await ComputeAsync(files, request, range, cache, cancellationToken).ConfigureAwait(false);
        await write(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Computes <paramref name="range"/> of <paramref name="request"/> and returns what writes its shard (the work that
    /// needs the disk rather than a core; one-unit stages write everything before they return).
    /// </summary>
    /// <exception cref="InvalidInputException">The inputs are unusable (the run cannot succeed).</exception>
    public static Task<Func<CancellationToken, Task>> ComputeAsync(RunFiles files, RunRequest request, WorkRange range, InputCache cache, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(cache);
        Directory.CreateDirectory(files.Shards);
        return range.Stage switch
        {
            RunStages.Prepare => Whole(PrepareAsync(files, request, cache, cancellationToken)),
            RunStages.LeaveOneOut => LeaveOneOutAsync(files, request, range.First, range.Count, cache, cancellationToken),
            RunStages.Bootstrap => Whole(BootstrapAsync(files, request, cache, cancellationToken)),
            RunStages.Replicates => ReplicatesAsync(files, request, range.First, range.Count, cache, cancellationToken),
            RunStages.Aggregate => Whole(AggregateAsync(files, request, cache, cancellationToken)),
            RunStages.Gppca => Whole(GppcaAsync(files, request, cache, cancellationToken)),
            _ => throw new ArgumentException($"Unknown stage '{range.Stage}'.", nameof(range)),
        };
    }

    private static readonly Func<CancellationToken, Task> Nothing = _ => Task.CompletedTask;

    /// <summary>A one-unit stage's work, which writes everything itself: nothing is left to write afterwards.</summary>
    internal static async Task<Func<CancellationToken, Task>> Whole(Task work)
    {
        await work.ConfigureAwait(false);
        return Nothing;
    }

    /// <summary>
    /// Runs arithmetic on a thread of its own rather than on the thread pool, which the silo needs for messaging and grains.
    /// </summary>
    private static Task<T> Offload<T>(Func<T> compute, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(compute, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>What the prepare stage found: the shape of the inputs.</summary>
    /// <param name="Stimuli">Rows <c>n</c>.</param>
    /// <param name="Attributes">Columns <c>p</c>.</param>
    /// <param name="Dimensions">Tested dimensions <c>k</c>.</param>
    public sealed record PrepareResult(int Stimuli, int Attributes, int Dimensions);

    /// <summary>What the bootstrap stage found.</summary>
    /// <param name="SignificantDimensions"><c>s</c>.</param>
    /// <param name="RefittedFolds">Folds that the fast leave-one-out refitted in full.</param>
    public sealed record MainResult(int SignificantDimensions, int RefittedFolds);

    /// <summary>Reads a small JSON shard.</summary>
    public static async Task<T> ReadJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<T>(stream, AtomicFile.JsonOptions, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{path} is empty.");
    }

    private static async Task<PpcaInputs> PpcaInputsAsync(RunFiles files, RunRequest request, InputCache cache, CancellationToken cancellationToken)
    {
        if (request.XPath is null)
        {
            throw new InvalidInputException("a PPCA run needs an X table (XPath)");
        }

        return await cache.GetPpcaAsync(DataRootPaths.Resolve(files.DataRoot, request.XPath), DataRootPaths.Resolve(files.DataRoot, request.YPath), cancellationToken)
            .ConfigureAwait(false);
    }

    private static async Task PrepareAsync(RunFiles files, RunRequest request, InputCache cache, CancellationToken cancellationToken)
    {
        var inputs = await PpcaInputsAsync(files, request, cache, cancellationToken).ConfigureAwait(false);
        var options = OptionsOf(request);
        var k = PpcaAnalysis.TestedDimensions(inputs.Attributes.Length, options);
        if (inputs.SeedIds.Length < 3)
        {
            throw new InvalidInputException($"an analysis needs at least 3 stimuli, got {inputs.SeedIds.Length}");
        }

        await AtomicFile.WriteJsonAsync(files.Prepare, new PrepareResult(inputs.SeedIds.Length, inputs.Attributes.Length, k), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Func<CancellationToken, Task>> LeaveOneOutAsync(
        RunFiles files, RunRequest request, int first, int count, InputCache cache, CancellationToken cancellationToken)
    {
        var inputs = await PpcaInputsAsync(files, request, cache, cancellationToken).ConfigureAwait(false);
        var options = OptionsOf(request);
        var k = PpcaAnalysis.TestedDimensions(inputs.Attributes.Length, options);
        var n = inputs.SeedIds.Length;
        var scores = new HeldOutScores(new RowMajorMatrix(n, k), new RowMajorMatrix(n, k));
        var refitted = await Offload(
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

        return ct => ParquetTableWriter.WriteAsync(files.LeaveOneOut(first, count), columns, ct);
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

    private static async Task BootstrapAsync(RunFiles files, RunRequest request, InputCache cache, CancellationToken cancellationToken)
    {
        var inputs = await PpcaInputsAsync(files, request, cache, cancellationToken).ConfigureAwait(false);
        var options = OptionsOf(request) with { Threads = Threads(request) };
        var k = PpcaAnalysis.TestedDimensions(inputs.Attributes.Length, options);
        var scores = await ReadScoresAsync(files, inputs.SeedIds.Length, k, cancellationToken).ConfigureAwait(false);
        var main = await Offload(() => PpcaAnalysis.AnalyzeScores(inputs.Fit, scores, inputs.Attributes, options, null, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        await PpcaOutputs.WriteDimensionsAsync(files.MainDimensions, main.Dimensions, cancellationToken).ConfigureAwait(false);
        await PpcaOutputs.WriteLoadingsAsync(files.MainLoadings, main.Attributes, main.Labels, main.Loadings, cancellationToken).ConfigureAwait(false);
        await AtomicFile.WriteJsonAsync(files.MainMarker, new MainResult(main.SignificantCount, main.RefittedFolds), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Func<CancellationToken, Task>> ReplicatesAsync(
        RunFiles files, RunRequest request, int first, int count, InputCache cache, CancellationToken cancellationToken)
    {
        var inputs = await PpcaInputsAsync(files, request, cache, cancellationToken).ConfigureAwait(false);
        var (_, reference) = await cache.GetLoadingsAsync(files.MainLoadings, cancellationToken).ConfigureAwait(false);
        var options = OptionsOf(request);
        var replicates = await Offload(
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

        return ct => ParquetTableWriter.WriteAsync(files.Replicates(first, count), columns, ct);
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

    private static async Task AggregateAsync(RunFiles files, RunRequest request, InputCache cache, CancellationToken cancellationToken)
    {
        var inputs = await PpcaInputsAsync(files, request, cache, cancellationToken).ConfigureAwait(false);
        var options = OptionsOf(request);
        var k = PpcaAnalysis.TestedDimensions(inputs.Attributes.Length, options);
        var dimensions = await PpcaOutputs.ReadDimensionsAsync(files.MainDimensions, cancellationToken).ConfigureAwait(false);
        var (labels, loadings) = await PpcaOutputs.ReadLoadingsAsync(files.MainLoadings, cancellationToken).ConfigureAwait(false);
        var scores = await ReadScoresAsync(files, inputs.SeedIds.Length, k, cancellationToken).ConfigureAwait(false);
        var execution = File.Exists(files.Execution) ? JsonNode.Parse(await File.ReadAllTextAsync(files.Execution, cancellationToken).ConfigureAwait(false))!.AsObject() : [];
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

        var inputNames = new JsonObject { ["x"] = request.XName ?? request.XPath, ["y"] = request.YName ?? request.YPath };
        var extra = new JsonObject { ["execution"] = execution["execution"]?.DeepClone() ?? new JsonObject { ["mode"] = "cluster" } };
        using var output = StagedOutputDirectory.Create(files.Output(request), overwrite: true);
        await PpcaOutputs.WriteAsync(output.StagingPath, result, inputs.SeedIds, options, inputNames, cancellationToken, extra).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task GppcaAsync(RunFiles files, RunRequest request, InputCache cache, CancellationToken cancellationToken)
    {
        var input = await cache.GetGppcaAsync(DataRootPaths.Resolve(files.DataRoot, request.YPath), cancellationToken).ConfigureAwait(false);
        var threads = Threads(request);
        var watch = Stopwatch.StartNew();
        var countries = GppcaOutputs.Split(input.Table, input.Grid);
        var result = await Offload(() => Gppca.Run(countries, threads), cancellationToken).ConfigureAwait(false);
        var seconds = watch.Elapsed.TotalSeconds;
        var extra = new JsonObject { ["execution"] = new JsonObject { ["mode"] = "cluster", ["run_id"] = files.RunId } };
        using var output = StagedOutputDirectory.Create(files.Output(request), overwrite: true);
        await GppcaOutputs.WriteAsync(
            output.StagingPath,
            result,
            input.Grid,
            input.Table.RowCount,
            threads,
            new JsonObject { ["judgments"] = request.YName ?? request.YPath },
            seconds,
            cancellationToken,
            extra).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
