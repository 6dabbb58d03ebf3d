namespace FaceCluster.Analysis;

/// <summary>
/// One PPCA fit (analysis.md section 1) on weighted rows: column means <c>mu_x</c>, <c>mu_y</c>, the
/// symmetric cross-covariance <c>S = (C + C^T)/2</c> with
/// <c>C = sum_i w_i (x_i - mu_x)^T (y_i - mu_y) / (m - 1)</c>, <c>m = sum_i w_i</c>, and its
/// eigendecomposition in descending eigenvalue order.
/// </summary>
public sealed class PpcaFit
{
    private PpcaFit(double[] meanX, double[] meanY, int totalWeight, SymmetricEigen scatterEigen)
    {
        MeanX = meanX;
        MeanY = meanY;
        TotalWeight = totalWeight;
        ScatterEigen = scatterEigen;
        var scale = 1.0 / (totalWeight - 1);
        Eigenvalues = Array.ConvertAll(scatterEigen.Values, v => v * scale);
    }

    /// <summary>Weighted column means of X.</summary>
    public double[] MeanX { get; }

    /// <summary>Weighted column means of Y.</summary>
    public double[] MeanY { get; }

    /// <summary><c>m</c>, the number of rows the fit stands for (sum of weights).</summary>
    public int TotalWeight { get; }

    /// <summary>Eigenvalues of <c>S</c>, descending: the preserved covariance of each component.</summary>
    public double[] Eigenvalues { get; }

    /// <summary>
    /// Eigendecomposition of the symmetric scatter <c>Tsym = (m - 1) S</c> (same eigenvectors as S).
    /// Column <c>j</c> of its vectors is the j-th preserved component, oriented by the sign rule.
    /// </summary>
    public SymmetricEigen ScatterEigen { get; }

    /// <summary>Preserved components: <c>p x p</c>, column <c>j</c> is <c>v_j</c>.</summary>
    public RowMajorMatrix Components => ScatterEigen.Vectors;

    /// <summary>
    /// Fits on the rows with positive weight. With <paramref name="reference"/> null this is an
    /// all-rows fit (each component's largest entry made positive); otherwise each component is
    /// oriented along the same column of <paramref name="reference"/> (first
    /// <paramref name="orientColumns"/> columns; the rest keep the all-rows rule).
    /// </summary>
    public static PpcaFit Fit(
        RowMajorMatrix x,
        RowMajorMatrix y,
        ReadOnlySpan<int> weights = default,
        RowMajorMatrix? reference = null,
        int orientColumns = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rows != y.Rows || x.Columns != y.Columns)
        {
            throw new ArgumentException($"X is {x.Rows} x {x.Columns} but Y is {y.Rows} x {y.Columns}.", nameof(y));
        }

        if (!weights.IsEmpty && weights.Length != x.Rows)
        {
            throw new ArgumentException("One weight per row is required.", nameof(weights));
        }

        var m = 0;
        for (var i = 0; i < x.Rows; i++)
        {
            m += weights.IsEmpty ? 1 : weights[i];
        }

        if (m < 2)
        {
            throw new ArgumentException("A PPCA fit needs at least two rows.", nameof(x));
        }

        var meanX = CrossProducts.WeightedMeans(x, weights);
        var meanY = CrossProducts.WeightedMeans(y, weights);
        var scatter = CrossProducts.SymmetricScatter(x, y, weights, meanX, meanY);
        var eigen = SymmetricEigen.Decompose(scatter);
        SymmetricEigen.OrientByLargestEntry(eigen.Vectors);
        if (reference is not null)
        {
            SymmetricEigen.OrientAlong(eigen.Vectors, reference, Math.Min(orientColumns, reference.Columns));
        }

        return new PpcaFit(meanX, meanY, m, eigen);
    }

    /// <summary>
    /// Scores <c>(row - mean) V[:, :k]</c> of one row on the first <paramref name="k"/> components.
    /// </summary>
    public void Project(ReadOnlySpan<double> row, ReadOnlySpan<double> mean, int k, Span<double> scores)
    {
        var v = Components;
        var p = v.Rows;
        scores[..k].Clear();
        for (var a = 0; a < p; a++)
        {
            var centred = row[a] - mean[a];
            var vr = v.Row(a);
            for (var j = 0; j < k; j++)
            {
                scores[j] += centred * vr[j];
            }
        }
    }
}
