namespace FaceCluster.Analysis.Tests;

/// <summary>Seeded synthetic tables for the tests.</summary>
internal static class TestData
{
    /// <summary>An <paramref name="rows"/> x <paramref name="columns"/> table of standard normal draws.</summary>
    public static RowMajorMatrix Gaussian(int rows, int columns, ulong seed)
    {
        var random = new SeededRandom(seed, RandomPurpose.SyntheticData, 0);
        var m = new RowMajorMatrix(rows, columns);
        for (var i = 0; i < m.Values.Length; i++)
        {
            m.Values[i] = random.NextGaussian();
        }

        return m;
    }

    /// <summary>
    /// Two score tables whose dimension <c>j</c> shares a common factor with loading
    /// <paramref name="shared"/>[j] (0 = independent noise).
    /// </summary>
    public static (RowMajorMatrix X, RowMajorMatrix Y) Correlated(int rows, double[] shared, ulong seed)
    {
        var random = new SeededRandom(seed, RandomPurpose.SyntheticData, 1);
        var k = shared.Length;
        var x = new RowMajorMatrix(rows, k);
        var y = new RowMajorMatrix(rows, k);
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < k; j++)
            {
                var common = random.NextGaussian();
                x[i, j] = (shared[j] * common) + random.NextGaussian();
                y[i, j] = (shared[j] * common) + random.NextGaussian();
            }
        }

        return (x, y);
    }

    /// <summary>The rows of <paramref name="m"/> repeated <paramref name="weights"/> times each, in order.</summary>
    public static RowMajorMatrix Expand(RowMajorMatrix m, int[] weights) => m.SelectRows(Resampling.RowToStimulus(weights, m.Rows));

    /// <summary>Each column replaced by its average ranks.</summary>
    public static RowMajorMatrix RankColumns(RowMajorMatrix m)
    {
        var ranked = new RowMajorMatrix(m.Rows, m.Columns);
        for (var j = 0; j < m.Columns; j++)
        {
            var ranks = Ranks.Average(m.Column(j));
            for (var i = 0; i < m.Rows; i++)
            {
                ranked[i, j] = ranks[i];
            }
        }

        return ranked;
    }

    /// <summary>Plain Pearson correlation, two-pass.</summary>
    public static double Pearson(double[] a, double[] b)
    {
        var ma = a.Average();
        var mb = b.Average();
        double sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }
}
