using System.Diagnostics;

namespace FaceCluster.Analysis;

/// <summary>Statistics of one tested dimension: a row of <c>dimensions.parquet</c>.</summary>
/// <param name="Dimension">1-based index.</param>
/// <param name="Eigenvalue">Eigenvalue of the all-rows <c>S</c>.</param>
/// <param name="R">Partial Spearman correlation of the held-out scores (section 3).</param>
/// <param name="P">Bootstrap p-value (section 4).</param>
/// <param name="QBh">Benjamini-Hochberg adjusted p-value (section 5).</param>
/// <param name="Sd">Bootstrap standard deviation of r.</param>
/// <param name="Snr"><c>r / sd</c>.</param>
/// <param name="Bh">In the BH set A.</param>
/// <param name="ForwardStop">In the ForwardStop set F.</param>
/// <param name="SnrPass"><c>snr</c> above the threshold (set N).</param>
/// <param name="Significant">In A ∩ F ∩ N.</param>
public sealed record DimensionStatistics(
    int Dimension, double Eigenvalue, double R, double P, double QBh, double Sd, double Snr,
    bool Bh, bool ForwardStop, bool SnrPass, bool Significant);

/// <summary>Everything a PPCA analysis produces (analysis.md sections 1-7 and 9).</summary>
public sealed record PpcaResult
{
    /// <summary>Attribute names, in input column order.</summary>
    public required IReadOnlyList<string> Attributes { get; init; }

    /// <summary>One entry per tested dimension (k of them).</summary>
    public required IReadOnlyList<DimensionStatistics> Dimensions { get; init; }

    /// <summary>Rotated loadings of the significant dimensions (<c>p x s</c>), columns labelled by <see cref="Labels"/>.</summary>
    public required RowMajorMatrix Loadings { get; init; }

    /// <summary>Labels of the rotated dimensions: A, B, ....</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Held-out scores (<c>n x k</c> each).</summary>
    public required HeldOutScores Scores { get; init; }

    /// <summary>
    /// The varimax rotation <c>T</c> (<c>s x s</c>) with its column flips and order, so that <c>L = V_sig T</c>
    /// (section 6; rows follow the significant dimensions in their original order), estimated as
    /// <c>V_sig^T L</c> (<see cref="PpcaAnalysis.RotationOf"/>). Null when the result was assembled without the
    /// all-rows fit; then the rotated seed scores of section 12 cannot be formed.
    /// </summary>
    public RowMajorMatrix? Rotation { get; init; }

    /// <summary>Loading significance (section 7); empty when replicates were skipped.</summary>
    public required IReadOnlyList<LoadingSignificanceRow> LoadingSignificance { get; init; }

    /// <summary>Preservation across countries (section 9), or null when the attributes are not a country x concept grid.</summary>
    public required PreservationResult? Preservation { get; init; }

    /// <summary>Why <see cref="Preservation"/> is null, if it is.</summary>
    public string? PreservationSkippedBecause { get; init; }

    /// <summary>Folds the fast method refitted in full (ill-conditioned updates).</summary>
    public int RefittedFolds { get; init; }

    /// <summary>Wall-clock seconds per step.</summary>
    public required IReadOnlyDictionary<string, double> TimingsSeconds { get; init; }

    /// <summary>The number of significant dimensions, <c>s</c>.</summary>
    public int SignificantCount => Labels.Count;
}

/// <summary>Sections 1-6 on one (possibly weighted) sample: the all-rows analysis or one replicate.</summary>
internal sealed record SampleAnalysis(
    PpcaFit Fit,
    HeldOutScores Scores,
    DimensionBootstrapResult Bootstrap,
    double[] QValues,
    int ForwardStopCount,
    bool[] BhPass,
    bool[] SnrPass,
    int[] Significant,
    VarimaxResult? Rotation);

/// <summary>The PPCA analysis of Brooks et al. 2024 on one process.</summary>
public static class PpcaAnalysis
{
    /// <summary>
    /// Runs sections 1-7 and 9 on <paramref name="x"/> (DNN outputs) and <paramref name="y"/>
    /// (human judgments), rows matched stimuli, columns matched <paramref name="attributes"/>.
    /// </summary>
    public static PpcaResult Run(
        RowMajorMatrix x,
        RowMajorMatrix y,
        IReadOnlyList<string> attributes,
        PpcaOptions options,
        IAnalysisProgress? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        }

        if (x.Rows != y.Rows || x.Columns != y.Columns || attributes.Count != x.Columns)
        {
            throw new ArgumentException("X, Y and the attribute names must have matching shapes.", nameof(y));
        }

        if (x.Rows < 3)
        {
            throw new ArgumentException($"An analysis needs at least 3 stimuli, got {x.Rows}.", nameof(x));
        }

        var timings = new Dictionary<string, double>();
        var watch = Stopwatch.StartNew();
        var fit = FitAllRows(x, y);
        timings["fit"] = watch.Elapsed.TotalSeconds;
        watch.Restart();
        var k = TestedDimensions(x.Columns, options);
        var foldProgress = progress is null ? null : new Progress(progress, "leave-one-out", x.Rows);
        var scores = LeaveOneOut.Compute(x, y, null, fit, k, options.LeaveOneOut, options.EffectiveThreads, foldProgress, cancellationToken);
        timings["leave_one_out"] = watch.Elapsed.TotalSeconds;

        var main = AnalyzeScores(fit, scores, attributes, options, progress, cancellationToken);
        foreach (var (step, seconds) in main.TimingsSeconds)
        {
            timings[step] = seconds;
        }

        if (!NeedsReplicates(main, options))
        {
            return main with { TimingsSeconds = timings };
        }

        watch.Restart();
        var replicates = RunReplicates(x, y, main.Loadings, options, 0, options.Replicates, options.EffectiveThreads, progress, cancellationToken);
        var result = WithLoadingSignificance(main, replicates, options);
        timings["loading_significance"] = watch.Elapsed.TotalSeconds;
        return result with { TimingsSeconds = timings };
    }

    /// <summary>The number of tested dimensions <c>k = min(MaxDimensions, p)</c>.</summary>
    public static int TestedDimensions(int attributes, PpcaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Math.Min(options.MaxDimensions, attributes);
    }

    /// <summary>
    /// Stage 0 of a staged run: the all-rows fit of section 1, which every leave-one-out fold range
    /// (<see cref="LeaveOneOut.ComputeRange"/>) starts from. A pure function of the inputs.
    /// </summary>
    public static PpcaFit FitAllRows(RowMajorMatrix x, RowMajorMatrix y) => PpcaFit.Fit(x, y);

    /// <summary>
    /// Stage 2 of a staged run: sections 3-6 and 9 on the all-rows held-out scores (all folds of
    /// stage 1, <see cref="LeaveOneOut.ComputeRange"/>): dimension bootstrap, selection, varimax and
    /// preservation. The result has no loading significance yet (<see cref="WithLoadingSignificance"/>);
    /// its <see cref="PpcaResult.Loadings"/> are the reference of the replicates
    /// (<see cref="LoadingSignificance.RunReplicate"/>). <see cref="Run"/> is exactly these stages in one process.
    /// </summary>
    public static PpcaResult AnalyzeScores(
        PpcaFit fit,
        HeldOutScores scores,
        IReadOnlyList<string> attributes,
        PpcaOptions options,
        IAnalysisProgress? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(options);
        var timings = new Dictionary<string, double>();
        var sample = SelectAndRotate(
            fit, scores, null, options, options.Bootstrap, RandomPurpose.DimensionBootstrap, 0, options.EffectiveThreads, progress, timings, cancellationToken);

        var dimensions = new DimensionStatistics[sample.Bootstrap.R.Length];
        var significant = new HashSet<int>(sample.Significant);
        for (var j = 0; j < dimensions.Length; j++)
        {
            dimensions[j] = new DimensionStatistics(
                j + 1,
                sample.Fit.Eigenvalues[j],
                sample.Bootstrap.R[j],
                sample.Bootstrap.P[j],
                sample.QValues[j],
                sample.Bootstrap.Sd[j],
                sample.Bootstrap.Snr[j],
                sample.BhPass[j],
                j < sample.ForwardStopCount,
                sample.SnrPass[j],
                significant.Contains(j));
        }

        var loadings = sample.Rotation?.Loadings ?? new RowMajorMatrix(fit.Components.Rows, 0);
        var labels = sample.Rotation?.Labels ?? [];
        var preservation = PreservationOf(loadings, labels, attributes, out var skipped);
        return new PpcaResult
        {
            Attributes = attributes,
            Dimensions = dimensions,
            Loadings = loadings,
            Labels = labels,
            Scores = sample.Scores,
            Rotation = RotationOf(fit, dimensions, loadings),
            LoadingSignificance = [],
            Preservation = preservation,
            PreservationSkippedBecause = skipped,
            RefittedFolds = sample.Scores.RefittedFolds,
            TimingsSeconds = timings,
        };
    }

    /// <summary>Whether section 7 runs for <paramref name="main"/>: replicates asked for and some dimension significant.</summary>
    public static bool NeedsReplicates(PpcaResult main, PpcaOptions options)
    {
        ArgumentNullException.ThrowIfNull(main);
        ArgumentNullException.ThrowIfNull(options);
        return options.Replicates > 0 && main.Labels.Count > 0;
    }

    /// <summary>
    /// Stage 4 of a staged run: <paramref name="main"/> with the loading significance aggregated from
    /// <paramref name="replicates"/> (all <c>R</c> of them, in any order).
    /// </summary>
    public static PpcaResult WithLoadingSignificance(PpcaResult main, IReadOnlyCollection<LoadingReplicate> replicates, PpcaOptions options)
    {
        ArgumentNullException.ThrowIfNull(main);
        ArgumentNullException.ThrowIfNull(replicates);
        ArgumentNullException.ThrowIfNull(options);
        return main with
        {
            LoadingSignificance = LoadingSignificance.Aggregate(main.Loadings, main.Labels, main.Attributes, replicates, options.Alpha),
        };
    }

    /// <summary>
    /// The rotation <c>T = V_sig^T L</c> (<c>s x s</c>) of rotated loadings <paramref name="loadings"/> (<c>p x s</c>), with
    /// <c>V_sig</c> the all-rows components of the significant <paramref name="dimensions"/> in their original order.
    /// Exact because <c>L = V_sig T</c> and <c>V_sig</c> has orthonormal columns; computed from the fit and the
    /// loadings (not kept from the varimax iteration) so that a result reassembled from the stored loadings gives the
    /// same bits.
    /// </summary>
    /// <exception cref="ArgumentException">The loadings do not have one column per significant dimension.</exception>
    public static RowMajorMatrix RotationOf(PpcaFit fit, IReadOnlyList<DimensionStatistics> dimensions, RowMajorMatrix loadings)
    {
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(loadings);
        var significant = dimensions.Where(d => d.Significant).Select(d => d.Dimension - 1).ToArray();
        if (significant.Length != loadings.Columns || loadings.Rows != fit.Components.Rows)
        {
            throw new ArgumentException(
                $"Expected {fit.Components.Rows} x {significant.Length} loadings (one column per significant dimension), got {loadings.Rows} x {loadings.Columns}.",
                nameof(loadings));
        }

        var s = significant.Length;
        var rotation = new RowMajorMatrix(s, s);
        for (var j = 0; j < s; j++)
        {
            for (var d = 0; d < s; d++)
            {
                var sum = 0.0;
                for (var a = 0; a < loadings.Rows; a++)
                {
                    sum += fit.Components[a, significant[j]] * loadings[a, d];
                }

                rotation[j, d] = sum;
            }
        }

        return rotation;
    }

    /// <summary>Preservation across countries (section 9) of rotated loadings, or null with the reason in <paramref name="skipped"/>.</summary>
    public static PreservationResult? PreservationOf(RowMajorMatrix loadings, IReadOnlyList<string> labels, IReadOnlyList<string> attributes, out string? skipped)
    {
        ArgumentNullException.ThrowIfNull(loadings);
        ArgumentNullException.ThrowIfNull(labels);
        skipped = null;
        if (labels.Count == 0)
        {
            skipped = "no significant dimensions";
            return null;
        }

        if (AttributeGrid.TryParse(attributes, out var why) is { } grid)
        {
            return Preservation.Compute(loadings, grid);
        }

        skipped = why;
        return null;
    }

    /// <summary>
    /// Replicates <c>[first, first + count)</c> of section 7, in parallel over replicates (each
    /// replicate on one thread); ordered by index.
    /// </summary>
    public static LoadingReplicate[] RunReplicates(
        RowMajorMatrix x,
        RowMajorMatrix y,
        RowMajorMatrix reference,
        PpcaOptions options,
        int first,
        int count,
        int threads,
        IAnalysisProgress? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var results = new LoadingReplicate[count];
        var done = 0;
        Parallel.For(
            0,
            count,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken },
            r =>
            {
                results[r] = LoadingSignificance.RunReplicate(x, y, reference, options, first + r, cancellationToken);
                progress?.Report("replicates", Interlocked.Increment(ref done), count);
            });
        return results;
    }

    /// <summary>Sections 1-6 on rows with copy counts <paramref name="weights"/> (null: all 1).</summary>
    internal static SampleAnalysis AnalyzeSample(
        RowMajorMatrix x,
        RowMajorMatrix y,
        int[]? weights,
        PpcaOptions options,
        int bootstrapResamples,
        RandomPurpose purpose,
        long replicate,
        int threads,
        IAnalysisProgress? progress,
        CancellationToken cancellationToken)
    {
        var k = TestedDimensions(x.Columns, options);
        var fit = PpcaFit.Fit(x, y, weights);
        var foldProgress = progress is null ? null : new Progress(progress, "leave-one-out", x.Rows);
        var scores = LeaveOneOut.Compute(x, y, weights, fit, k, options.LeaveOneOut, threads, foldProgress, cancellationToken);
        return SelectAndRotate(fit, scores, weights, options, bootstrapResamples, purpose, replicate, threads, progress, null, cancellationToken);
    }

    /// <summary>Sections 3-6 on held-out scores of rows with copy counts <paramref name="weights"/> (null: all 1).</summary>
    private static SampleAnalysis SelectAndRotate(
        PpcaFit fit,
        HeldOutScores scores,
        int[]? weights,
        PpcaOptions options,
        int bootstrapResamples,
        RandomPurpose purpose,
        long replicate,
        int threads,
        IAnalysisProgress? progress,
        Dictionary<string, double>? timings,
        CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var resampleProgress = progress is null ? null : new Progress(progress, "bootstrap", bootstrapResamples);
        cancellationToken.ThrowIfCancellationRequested();
        var bootstrap = DimensionBootstrap.Run(scores.X, scores.Y, weights, bootstrapResamples, options.Seed, purpose, replicate, threads, resampleProgress);
        Record("bootstrap");

        var selection = DimensionSelection.Select(bootstrap.P, bootstrap.Snr, options.Alpha, options.SnrThreshold);
        var significant = selection.SignificantIndices;
        VarimaxResult? rotation = null;
        var p = fit.Components.Rows;
        if (significant.Length > 0)
        {
            var components = new RowMajorMatrix(p, significant.Length);
            var eigenvalues = new double[significant.Length];
            for (var c = 0; c < significant.Length; c++)
            {
                var j = significant[c];
                eigenvalues[c] = fit.Eigenvalues[j];
                for (var a = 0; a < p; a++)
                {
                    components[a, c] = fit.Components[a, j];
                }
            }

            rotation = Varimax.RotateAndOrder(components, eigenvalues);
        }

        Record("varimax");
        return new SampleAnalysis(
            fit, scores, bootstrap, selection.Q, selection.ForwardStopCount, selection.Bh, selection.SnrPass, significant, rotation);

        void Record(string step)
        {
            if (timings is not null)
            {
                timings[step] = watch.Elapsed.TotalSeconds;
            }

            watch.Restart();
        }
    }

    /// <summary>Adapts stage progress to <see cref="IProgress{T}"/> of completed units.</summary>
    private sealed class Progress(IAnalysisProgress sink, string stage, long total) : IProgress<int>
    {
        public void Report(int value) => sink.Report(stage, value, total);
    }
}
