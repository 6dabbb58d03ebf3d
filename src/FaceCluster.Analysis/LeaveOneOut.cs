namespace FaceCluster.Analysis;

/// <summary>How the leave-one-out fits of analysis.md section 2 are computed.</summary>
public enum LeaveOneOutMethod
{
    /// <summary>Exact rank-2 eigen-update of the all-rows fit, O(p^2) per fold (fast-loo.md).</summary>
    Fast,

    /// <summary>A full refit (means, cross-products, eigendecomposition) per fold.</summary>
    Naive,
}

/// <summary>
/// Held-out scores of analysis.md section 2: for stimulus <c>i</c>,
/// <c>sx_i = (x_i - mu_x^(-i)) V^(-i)[:, :k]</c> and <c>sy_i</c> likewise, where the fit leaves out
/// all copies of <c>i</c>. Rows of the inputs are distinct stimuli; <c>weights</c> are their copy counts.
/// </summary>
public static class LeaveOneOut
{
    /// <summary>
    /// Computes the held-out scores of every stimulus (<c>S x k</c> each). Folds run in parallel on
    /// <paramref name="threads"/> threads (0: all cores); each fold is a pure function of the inputs,
    /// so the result does not depend on the thread count.
    /// </summary>
    public static HeldOutScores Compute(
        RowMajorMatrix x,
        RowMajorMatrix y,
        int[]? weights,
        PpcaFit allRows,
        int k,
        LeaveOneOutMethod method,
        int threads = 0,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        var scores = new HeldOutScores(new RowMajorMatrix(x.Rows, k), new RowMajorMatrix(x.Rows, k));
        var refits = ComputeRange(x, y, weights, allRows, k, method, 0, x.Rows, scores, threads, progress, cancellationToken);
        return scores with { RefittedFolds = refits };
    }

    /// <summary>
    /// Computes folds <c>[first, first + count)</c> into the matching rows of <paramref name="into"/>;
    /// the unit of work a cluster schedules. Returns the number of folds that the fast method handed
    /// to a full refit because the update was ill-conditioned (coincident eigenvalues).
    /// </summary>
    public static int ComputeRange(
        RowMajorMatrix x,
        RowMajorMatrix y,
        int[]? weights,
        PpcaFit allRows,
        int k,
        LeaveOneOutMethod method,
        int first,
        int count,
        HeldOutScores into,
        int threads = 0,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(allRows);
        ArgumentNullException.ThrowIfNull(into);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, x.Columns);
        if (first < 0 || count < 0 || first + count > x.Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Folds [{first}, {first + count}) are outside 0..{x.Rows}.");
        }

        foreach (var w in weights ?? [])
        {
            if (allRows.TotalWeight - w < 2)
            {
                throw new ArgumentException("Every fold must keep at least two rows.", nameof(weights));
            }
        }

        var fast = method == LeaveOneOutMethod.Fast ? new FastLeaveOneOut(x, y, weights, allRows, k) : null;
        var refits = 0;
        var done = 0;
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };

        // Batches of folds share one pass over the p x p tables and keep workspaces warm.
        const int BlockSize = FastLeaveOneOut.BatchSize;
        var blocks = (count + BlockSize - 1) / BlockSize;
        Parallel.For(
            0,
            blocks,
            options,
            () => fast?.CreateWorkspace(),
            (block, _, workspace) =>
            {
                var start = first + (block * BlockSize);
                var end = Math.Min(first + count, start + BlockSize);
                Span<bool> succeeded = stackalloc bool[BlockSize];
                if (fast is not null)
                {
                    fast.ComputeBatch(start, end - start, workspace!, into, succeeded);
                }

                for (var i = start; i < end; i++)
                {
                    if (fast is not null && succeeded[i - start])
                    {
                        continue;
                    }

                    if (fast is not null)
                    {
                        Interlocked.Increment(ref refits);
                    }

                    NaiveFold(x, y, weights, allRows, k, i, into.X.Row(i)[..k], into.Y.Row(i)[..k]);
                }

                progress?.Report(Interlocked.Add(ref done, end - start));
                return workspace;
            },
            _ => { });
        return refits;
    }

    /// <summary>The naive refit of fold <paramref name="i"/>: a full PPCA fit without stimulus i.</summary>
    internal static void NaiveFold(
        RowMajorMatrix x, RowMajorMatrix y, int[]? weights, PpcaFit allRows, int k, int i, Span<double> sx, Span<double> sy)
    {
        var foldWeights = new int[x.Rows];
        for (var s = 0; s < x.Rows; s++)
        {
            foldWeights[s] = weights?[s] ?? 1;
        }

        foldWeights[i] = 0;
        var fit = PpcaFit.Fit(x, y, foldWeights, allRows.Components, k);
        fit.Project(x.Row(i), fit.MeanX, k, sx);
        fit.Project(y.Row(i), fit.MeanY, k, sy);
    }
}

/// <summary>Held-out scores: one row per stimulus, one column per dimension.</summary>
/// <param name="X">Held-out scores of X (<c>SX</c>).</param>
/// <param name="Y">Held-out scores of Y (<c>SY</c>).</param>
public sealed record HeldOutScores(RowMajorMatrix X, RowMajorMatrix Y)
{
    /// <summary>Folds that the fast method refitted in full because their update was ill-conditioned.</summary>
    public int RefittedFolds { get; init; }
}
