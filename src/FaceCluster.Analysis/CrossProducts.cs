namespace FaceCluster.Analysis;

/// <summary>Weighted column means and centred cross-products over the rows of two matrices.</summary>
internal static class CrossProducts
{
    private const int RowBlock = 8;

    /// <summary>Weighted column means <c>sum_i w_i a_i / sum_i w_i</c> (weights empty: all 1).</summary>
    public static double[] WeightedMeans(RowMajorMatrix a, ReadOnlySpan<int> weights)
    {
        var means = new double[a.Columns];
        double total = 0;
        for (var i = 0; i < a.Rows; i++)
        {
            double w = weights.IsEmpty ? 1 : weights[i];
            if (w == 0)
            {
                continue;
            }

            total += w;
            VectorKernels.Axpy(w, a.Row(i), means);
        }

        for (var j = 0; j < means.Length; j++)
        {
            means[j] /= total;
        }

        return means;
    }

    /// <summary>
    /// Scatter <c>T = sum_i w_i (x_i - mx)(y_i - my)^T</c> (p x p, row-major), its symmetric part
    /// <c>(T + T^T)/2</c> returned. Rows are accumulated in index order, in blocks of
    /// <see cref="RowBlock"/> so that each row of T is loaded once per block; the result does not
    /// depend on threads.
    /// </summary>
    public static RowMajorMatrix SymmetricScatter(
        RowMajorMatrix x, RowMajorMatrix y, ReadOnlySpan<int> weights, double[] meanX, double[] meanY)
    {
        var p = x.Columns;
        var t = new RowMajorMatrix(p, p);
        var xc = new double[RowBlock * p];
        var yc = new double[RowBlock * p];
        var tv = t.Values.AsSpan();
        var filled = 0;
        for (var i = 0; i <= x.Rows; i++)
        {
            if (i < x.Rows)
            {
                double w = weights.IsEmpty ? 1 : weights[i];
                if (w == 0)
                {
                    continue;
                }

                var xr = x.Row(i);
                var yr = y.Row(i);
                for (var j = 0; j < p; j++)
                {
                    xc[(filled * p) + j] = w * (xr[j] - meanX[j]);
                    yc[(filled * p) + j] = yr[j] - meanY[j];
                }

                filled++;
                if (filled < RowBlock)
                {
                    continue;
                }
            }

            for (var a = 0; a < p; a++)
            {
                var row = tv.Slice(a * p, p);
                for (var r = 0; r < filled; r++)
                {
                    VectorKernels.Axpy(xc[(r * p) + a], yc.AsSpan(r * p, p), row);
                }
            }

            filled = 0;
        }

        Symmetrize(t);
        return t;
    }

    /// <summary>Replaces a square matrix by <c>(A + A^T) / 2</c>.</summary>
    public static void Symmetrize(RowMajorMatrix a)
    {
        var p = a.Rows;
        for (var i = 0; i < p; i++)
        {
            for (var j = i + 1; j < p; j++)
            {
                var s = 0.5 * (a[i, j] + a[j, i]);
                a[i, j] = s;
                a[j, i] = s;
            }
        }
    }
}
