using System.Runtime.CompilerServices;
using MathNet.Numerics.LinearAlgebra;

namespace FaceCluster.Analysis;

/// <summary>
/// Partial correlations per dimension (analysis.md section 3): for dimension <c>j</c>, the correlation
/// of column <c>j</c> of the first table with column <c>j</c> of the second, controlling for columns
/// <c>1..j-1</c> of both (ordinary least squares with an intercept).
/// </summary>
/// <remarks>
/// <para>
/// The Cholesky form: order the <c>2k</c> columns as <c>x1, y1, x2, y2, ...</c>, take their Pearson
/// correlation matrix, factor it as <c>L L^T</c>, and
/// <c>r_j = L[y_j, x_j] / sqrt(L[y_j, x_j]^2 + L[y_j, y_j]^2)</c>. Row <c>y_j</c> of <c>L</c> holds the
/// coordinates of the residual of <c>y_j</c> (given all earlier columns) along the orthonormalised
/// residuals of the earlier columns, so this is exactly the residual correlation.
/// </para>
/// <para>
/// Degenerate data never throw. The factorisation runs on the correlation scale (unit diagonal); a
/// pivot whose squared value is at most <see cref="PivotTolerance"/> (the column is a linear function
/// of the earlier ones up to a residual variance share of <c>1e-10</c>: a constant column, fewer
/// distinct rows than columns, duplicated columns) is set to zero and its column is left out of every
/// later regression, which is what OLS with a redundant regressor does. Then <c>r_j</c> is NaN when
/// <c>x_j</c> has a zero pivot, or when the residual variance share of <c>y_j</c> given the columns
/// before <c>x_j</c> is at most the tolerance; other dimensions are unaffected. When <c>y_j</c> alone
/// has a zero pivot (its residual is a multiple of that of <c>x_j</c>) <c>r_j</c> is exactly <c>+1</c> or <c>-1</c>.
/// </para>
/// </remarks>
public static class PartialCorrelation
{
    /// <summary>Squared pivots at most this, on the correlation scale, count as zero.</summary>
    public const double PivotTolerance = 1e-10;

    private const int BlockRows = 128;

    /// <summary>
    /// The point estimate of section 3: partial Spearman correlations <c>r_1..r_k</c> of the columns of
    /// <paramref name="sx"/> and <paramref name="sy"/> (<c>n x k</c> each): the Pearson partial
    /// correlations of their average-rank columns. Row <c>i</c> stands for <paramref name="weights"/><c>[i]</c>
    /// copies of itself (all 1 when empty): ranks are the weighted ranks of <see cref="Ranks.Weighted"/>
    /// and every moment is weighted, so the result equals that of the expanded table.
    /// </summary>
    /// <returns><c>r_j</c> for <c>j = 1..k</c>, NaN where the remarks on the type say so.</returns>
    /// <exception cref="ArgumentException">Shapes differ, a weight is negative, or a score is not finite.</exception>
    public static double[] PartialSpearman(RowMajorMatrix sx, RowMajorMatrix sy, ReadOnlySpan<int> weights = default)
    {
        CheckPair(sx, sy, weights);
        var w = WeightsOrOnes(weights, sx.Rows, out var total);
        var k = sx.Columns;
        var r = new double[k];
        if (k == 0)
        {
            return r;
        }

        var workspace = new PartialSpearmanWorkspace(PartialSpearmanWorkspace.Presort(sx, sy), k, CrossProductKernel.Best);
        workspace.Compute(w, total, r);
        return r;
    }

    /// <summary>
    /// Partial Pearson correlations of already numeric columns (G-PPCA scores, section 8) by the
    /// Cholesky form: weighted means, the centred weighted cross-product of <c>x1, y1, x2, y2, ...</c>,
    /// its correlation matrix and Cholesky factor. Row <c>i</c> counts <paramref name="weights"/><c>[i]</c>
    /// times (all 1 when empty). A column whose weighted rows are all equal is constant (its r are NaN).
    /// </summary>
    /// <returns><c>r_j</c> for <c>j = 1..k</c>, NaN where the remarks on the type say so.</returns>
    /// <exception cref="ArgumentException">Shapes differ, a weight is negative, or a value is not finite.</exception>
    public static double[] PartialPearsonByCholesky(RowMajorMatrix x, RowMajorMatrix y, ReadOnlySpan<int> weights = default)
    {
        CheckPair(x, y, weights);
        var n = x.Rows;
        var k = x.Columns;
        var p = 2 * k;
        var w = WeightsOrOnes(weights, n, out var total);
        var r = new double[k];
        if (k == 0)
        {
            return r;
        }

        // Interleaved column a: x_{a/2} when a is even, y_{a/2} when odd.
        double Value(int i, int a) => (a & 1) == 0 ? x[i, a >> 1] : y[i, a >> 1];

        var means = new double[p];
        var constant = new bool[p];
        for (var a = 0; a < p; a++)
        {
            var sum = 0.0;
            var first = double.NaN;
            var allEqual = true;
            for (var i = 0; i < n; i++)
            {
                if (w[i] == 0)
                {
                    continue;
                }

                var v = Value(i, a);
                if (!double.IsFinite(v))
                {
                    throw new ArgumentException($"Value ({i}, column {a >> 1}) is {v}.");
                }

                if (double.IsNaN(first))
                {
                    first = v;
                }
                else if (v != first)
                {
                    allEqual = false;
                }

                sum += w[i] * v;
            }

            means[a] = total > 0 ? sum / total : 0;
            constant[a] = allEqual;
        }

        const int panel = CrossProductKernel.Panel;
        var stride = CrossProductKernel.PaddedStride(p);
        const int panelStride = BlockRows * panel;
        var block = new double[BlockRows * stride];
        var weightedBlock = new double[BlockRows * stride];
        var cross = new double[stride * stride];
        var path = CrossProductKernel.Best;
        var filled = 0;
        for (var i = 0; i < n; i++)
        {
            if (w[i] == 0)
            {
                continue;
            }

            for (var a = 0; a < p; a++)
            {
                var centred = constant[a] ? 0.0 : Value(i, a) - means[a];
                var at = ((a / panel) * panelStride) + (filled * panel) + (a % panel);
                block[at] = centred;
                weightedBlock[at] = w[i] * centred;
            }

            if (++filled == BlockRows)
            {
                CrossProductKernel.AccumulateLower(block, panelStride, weightedBlock, panelStride, filled, stride, cross, path);
                filled = 0;
            }
        }

        CrossProductKernel.AccumulateLower(block, panelStride, weightedBlock, panelStride, filled, stride, cross, path);
        FromCrossProduct(cross, stride, k, new double[p * p], new bool[p], r);
        return r;
    }

    /// <summary>
    /// The reference implementation, independent of the Cholesky form: for each <c>j</c>, regress
    /// <c>x_j</c> and <c>y_j</c> on <c>[1, x_1..x_{j-1}, y_1..y_{j-1}]</c> by least squares (Householder
    /// QR, Math.NET) and correlate the two residual vectors (<c>e_x . e_y / (|e_x| |e_y|)</c>; residuals
    /// of a model with an intercept have mean zero). Unweighted. Meant for tests and full-rank designs
    /// (at least <c>2j</c> rows with independent columns); NaN when a residual vector is exactly zero.
    /// </summary>
    public static double[] PartialPearsonByResiduals(RowMajorMatrix x, RowMajorMatrix y)
    {
        CheckPair(x, y, default);
        var n = x.Rows;
        var k = x.Columns;
        var r = new double[k];
        for (var j = 0; j < k; j++)
        {
            var xj = Vector<double>.Build.Dense(x.Column(j));
            var yj = Vector<double>.Build.Dense(y.Column(j));
            var design = Matrix<double>.Build.Dense(n, 1 + (2 * j), (i, c) => c == 0 ? 1.0 : c <= j ? x[i, c - 1] : y[i, c - 1 - j]);
            var qr = design.QR();
            var ex = xj - (design * qr.Solve(xj));
            var ey = yj - (design * qr.Solve(yj));
            var denominator = ex.L2Norm() * ey.L2Norm();
            r[j] = denominator == 0 ? double.NaN : ex.DotProduct(ey) / denominator;
        }

        return r;
    }

    /// <summary>
    /// Shared tail of every Cholesky-form estimator. <paramref name="cross"/> holds (at least) the lower
    /// triangle of the centred weighted cross-product of the <c>2k</c> interleaved columns, row-major with
    /// <paramref name="stride"/>; any positive scaling of it gives the same result. Scales it to a
    /// correlation matrix (a column with zero variance becomes a zero row and column), factors it into
    /// <paramref name="factor"/> (<c>2k x 2k</c>, row-major, lower) with the zero-pivot rule of the type
    /// remarks, and writes <c>r_j</c> to <paramref name="r"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FromCrossProduct(ReadOnlySpan<double> cross, int stride, int k, Span<double> factor, Span<bool> pivotOk, Span<double> r)
    {
        var p = 2 * k;
        Span<double> scale = p <= 256 ? stackalloc double[p] : new double[p];
        for (var a = 0; a < p; a++)
        {
            var d = cross[(a * stride) + a];
            scale[a] = d > 0 ? 1.0 / Math.Sqrt(d) : 0.0;
        }

        for (var i = 0; i < p; i++)
        {
            var li = factor.Slice(i * p, p);
            var si = scale[i];
            for (var j = 0; j < i; j++)
            {
                var s = (cross[(i * stride) + j] * si * scale[j]) - VectorKernels.Dot(li[..j], factor.Slice(j * p, j));
                li[j] = pivotOk[j] ? s / factor[(j * p) + j] : 0.0;
            }

            var diagonal = (si > 0 ? 1.0 : 0.0) - VectorKernels.Dot(li[..i], li[..i]);
            if (diagonal > PivotTolerance)
            {
                li[i] = Math.Sqrt(diagonal);
                pivotOk[i] = true;
            }
            else
            {
                li[i] = 0.0;
                pivotOk[i] = false;
            }

            li[(i + 1)..].Clear();
        }

        for (var j = 0; j < k; j++)
        {
            var xj = 2 * j;
            var yj = xj + 1;
            var off = factor[(yj * p) + xj];
            var diag = factor[(yj * p) + yj];
            var residual = (off * off) + (diag * diag);
            r[j] = !pivotOk[xj] || !(residual > PivotTolerance) ? double.NaN
                : pivotOk[yj] ? off / Math.Sqrt(residual)
                : Math.Sign(off);
        }
    }

    internal static int[] WeightsOrOnes(ReadOnlySpan<int> weights, int rows, out long total)
    {
        if (weights.IsEmpty)
        {
            total = rows;
            var ones = new int[rows];
            Array.Fill(ones, 1);
            return ones;
        }

        total = 0;
        foreach (var w in weights)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(w, nameof(weights));
            total += w;
        }

        return weights.ToArray();
    }

    internal static void CheckPair(RowMajorMatrix x, RowMajorMatrix y, ReadOnlySpan<int> weights)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rows != y.Rows || x.Columns != y.Columns)
        {
            throw new ArgumentException($"The tables differ in shape: {x.Rows} x {x.Columns} and {y.Rows} x {y.Columns}.");
        }

        if (!weights.IsEmpty && weights.Length != x.Rows)
        {
            throw new ArgumentException($"Expected {x.Rows} weights, got {weights.Length}.", nameof(weights));
        }
    }
}
