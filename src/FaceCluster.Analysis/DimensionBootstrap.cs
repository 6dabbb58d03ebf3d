namespace FaceCluster.Analysis;

/// <summary>Result of <see cref="DimensionBootstrap.Run"/>; every array has one entry per dimension.</summary>
/// <param name="R">Point estimates <c>r_j</c> (partial Spearman, section 3) on the given rows.</param>
/// <param name="P">Bootstrap p-values <c>p_j = 1 - #{b : r_j^b &gt; 0} / B</c>.</param>
/// <param name="Sd">Sample standard deviations of <c>r_j^b</c> over the resamples (denominator <c>B - 1</c>).</param>
/// <param name="Snr">Signal-to-noise ratios <c>r_j / sd_j</c> with the conventions of section 4.</param>
public sealed record DimensionBootstrapResult(double[] R, double[] P, double[] Sd, double[] Snr);

/// <summary>
/// Dimension significance by the bootstrap (analysis.md section 4): resamples the rows of the
/// held-out score tables, recomputes ranks and partial Spearman correlations in every resample.
/// </summary>
public static class DimensionBootstrap
{
    /// <summary>
    /// Runs <paramref name="resamples"/> (<c>B</c>) bootstrap resamples of the rows of
    /// (<paramref name="sx"/>, <paramref name="sy"/>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// Rows of the two <c>n_d x k</c> tables are distinct stimuli and <paramref name="weights"/> their copy
    /// counts (all 1 when empty); the table being resampled has <c>n = sum w</c> rows. Resample <c>b</c>
    /// (<c>0 &lt;= b &lt; B</c>) draws <c>n</c> of those rows uniformly with replacement from
    /// <c>new SeededRandom(seed, purpose, replicate, stream: b)</c> via
    /// <see cref="Resampling.DrawMultiplicities"/>, giving a multiplicity per stimulus; ranks are recomputed
    /// inside the resample with those multiplicities (duplicates are ties, <see cref="Ranks.Weighted"/>)
    /// and <c>r_j^b</c> is the partial Spearman correlation of section 3 on the resample
    /// (<see cref="PartialCorrelation.PartialSpearman"/>, which can give NaN for degenerate resamples).
    /// </para>
    /// <para>
    /// <c>p_j = 1 - #{b : r_j^b &gt; 0} / B</c> (a NaN never counts as positive);
    /// <c>sd_j = sqrt(sum_b (r_j^b - mean_j)^2 / (B - 1))</c>, NaN when any <c>r_j^b</c> is NaN or
    /// <c>B = 1</c>; <c>snr_j = r_j / sd_j</c>, and when <c>sd_j = 0</c>: <c>+inf</c> if <c>r_j &gt; 0</c>,
    /// <c>-inf</c> if <c>r_j &lt; 0</c>, NaN if <c>r_j = 0</c> (NaN too when <c>r_j</c> or <c>sd_j</c> is NaN).
    /// </para>
    /// <para>
    /// Resamples run on <paramref name="threads"/> threads, each resample writing its own row of draws,
    /// and the summaries are reduced in resample order, so the result is bit-identical for any thread
    /// count (on one machine: the vector width of <see cref="CrossProductKernel"/> is chosen from the
    /// hardware).
    /// </para>
    /// </remarks>
    /// <param name="sx">Held-out scores of the first table, <c>n_d x k</c>.</param>
    /// <param name="sy">Held-out scores of the second table, <c>n_d x k</c>.</param>
    /// <param name="weights">Copies of each row (non-negative), or empty for all 1.</param>
    /// <param name="resamples">Number of resamples <c>B</c>, at least 1.</param>
    /// <param name="seed">Run seed.</param>
    /// <param name="purpose">Stream purpose: <see cref="RandomPurpose.DimensionBootstrap"/> or <see cref="RandomPurpose.InnerBootstrap"/>.</param>
    /// <param name="replicate">Replicate index of the stream key (0 for the all-rows analysis).</param>
    /// <param name="threads">Worker threads, at least 1.</param>
    /// <param name="progress">Receives the number of resamples finished, about every 1% (may arrive out of order).</param>
    /// <exception cref="ArgumentException">Shapes differ, a weight is negative, or a score is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="resamples"/> or <paramref name="threads"/> is below 1.</exception>
    public static DimensionBootstrapResult Run(
        RowMajorMatrix sx,
        RowMajorMatrix sy,
        ReadOnlySpan<int> weights,
        int resamples,
        ulong seed,
        RandomPurpose purpose,
        long replicate,
        int threads,
        IProgress<int>? progress = null)
    {
        PartialCorrelation.CheckPair(sx, sy, weights);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var draws = Draws(sx, sy, weights, resamples, seed, purpose, replicate, threads, progress, out var pointEstimate);
        return Summarise(pointEstimate, draws, resamples);
    }

    /// <summary>The point estimate and the <c>B x k</c> draws <c>r_j^b</c> (row <c>b</c> = resample <c>b</c>).</summary>
    internal static double[] Draws(
        RowMajorMatrix sx,
        RowMajorMatrix sy,
        ReadOnlySpan<int> weights,
        int resamples,
        ulong seed,
        RandomPurpose purpose,
        long replicate,
        int threads,
        IProgress<int>? progress,
        out double[] pointEstimate,
        CrossProductPath? path = null)
    {
        var n = sx.Rows;
        var k = sx.Columns;
        var kernel = path ?? CrossProductKernel.Best;
        var baseWeights = PartialCorrelation.WeightsOrOnes(weights, n, out var total);
        var rowToStimulus = Resampling.RowToStimulus(weights, n);
        var columns = PartialSpearmanWorkspace.Presort(sx, sy);
        pointEstimate = new double[k];
        var draws = new double[(long)resamples * k];
        if (k == 0)
        {
            return draws;
        }

        var first = new PartialSpearmanWorkspace(columns, k, kernel);
        first.Compute(baseWeights, total, pointEstimate);
        if (total == 0)
        {
            Array.Fill(draws, double.NaN);
            return draws;
        }

        var next = -1;
        var done = 0;
        var reportEvery = Math.Max(1, resamples / 100);
        var workers = Math.Min(threads, resamples);
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            var workspace = worker == 0 ? first : new PartialSpearmanWorkspace(columns, k, kernel);
            var counts = new int[n];
            int b;
            while ((b = Interlocked.Increment(ref next)) < resamples)
            {
                var random = new SeededRandom(seed, purpose, replicate, stream: b);
                Resampling.DrawMultiplicities(ref random, rowToStimulus, counts);
                workspace.Compute(counts, total, draws.AsSpan(b * k, k));
                var finished = Interlocked.Increment(ref done);
                if (progress is not null && (finished % reportEvery == 0 || finished == resamples))
                {
                    progress.Report(finished);
                }
            }
        });
        return draws;
    }

    /// <summary>Reduces the draws in resample order (section 4).</summary>
    internal static DimensionBootstrapResult Summarise(double[] pointEstimate, double[] draws, int resamples)
    {
        var k = pointEstimate.Length;
        var p = new double[k];
        var sd = new double[k];
        var snr = new double[k];
        for (var j = 0; j < k; j++)
        {
            var positive = 0;
            var sum = 0.0;
            for (var b = 0; b < resamples; b++)
            {
                var v = draws[(b * k) + j];
                if (v > 0)
                {
                    positive++;
                }

                sum += v;
            }

            var mean = sum / resamples;
            var squares = 0.0;
            for (var b = 0; b < resamples; b++)
            {
                var d = draws[(b * k) + j] - mean;
                squares += d * d;
            }

            p[j] = 1.0 - ((double)positive / resamples);
            sd[j] = resamples > 1 ? Math.Sqrt(squares / (resamples - 1)) : double.NaN;
            snr[j] = SignalToNoise(pointEstimate[j], sd[j]);
        }

        return new DimensionBootstrapResult(pointEstimate, p, sd, snr);
    }

    /// <summary>
    /// <c>r / sd</c>; when <c>sd = 0</c>: <c>+inf</c> for <c>r &gt; 0</c>, <c>-inf</c> for <c>r &lt; 0</c>,
    /// NaN for <c>r = 0</c>; NaN when either is NaN.
    /// </summary>
    public static double SignalToNoise(double r, double sd)
    {
        if (double.IsNaN(r) || double.IsNaN(sd))
        {
            return double.NaN;
        }

        if (sd == 0)
        {
            return r > 0 ? double.PositiveInfinity : r < 0 ? double.NegativeInfinity : double.NaN;
        }

        return r / sd;
    }
}
