namespace FaceCluster.Analysis.Tests.Support;

/// <summary>X and Y built from shared latent dimensions with distinct strengths, plus noise.</summary>
internal static class PlantedData
{
    /// <summary>
    /// <c>X = Z diag(sx) Q^T + noise</c>, <c>Y = Z diag(sy) Q^T + noise</c> with a random orthogonal-ish
    /// Q: the cross-covariance has eigenvalues near <c>sx_j sy_j</c>, well separated when the strengths are.
    /// </summary>
    public static (RowMajorMatrix X, RowMajorMatrix Y) Generate(int n, int p, double[] strengths, double noise, ulong seed)
    {
        var random = new SeededRandom(seed, RandomPurpose.SyntheticData, 0);
        var q = RandomOrthonormal(p, strengths.Length, ref random);
        var x = new RowMajorMatrix(n, p);
        var y = new RowMajorMatrix(n, p);
        var z = new double[strengths.Length];
        for (var i = 0; i < n; i++)
        {
            for (var d = 0; d < z.Length; d++)
            {
                z[d] = random.NextGaussian() * strengths[d];
            }

            for (var a = 0; a < p; a++)
            {
                double signal = 0;
                for (var d = 0; d < z.Length; d++)
                {
                    signal += z[d] * q[a, d];
                }

                x[i, a] = signal + (noise * random.NextGaussian());
                y[i, a] = signal + (noise * random.NextGaussian());
            }
        }

        return (x, y);
    }

    /// <summary>Strengths whose squares are evenly spread from <paramref name="top"/> down to 1.</summary>
    public static double[] Spread(int count, double top)
    {
        var s = new double[count];
        for (var d = 0; d < count; d++)
        {
            s[d] = Math.Sqrt(top - ((top - 1) * d / Math.Max(1, count - 1)));
        }

        return s;
    }

    private static RowMajorMatrix RandomOrthonormal(int p, int columns, ref SeededRandom random)
    {
        var q = new RowMajorMatrix(p, columns);
        for (var d = 0; d < columns; d++)
        {
            var v = new double[p];
            for (var a = 0; a < p; a++)
            {
                v[a] = random.NextGaussian();
            }

            for (var e = 0; e < d; e++)
            {
                double dot = 0;
                for (var a = 0; a < p; a++)
                {
                    dot += v[a] * q[a, e];
                }

                for (var a = 0; a < p; a++)
                {
                    v[a] -= dot * q[a, e];
                }
            }

            var norm = Math.Sqrt(v.Sum(t => t * t));
            for (var a = 0; a < p; a++)
            {
                q[a, d] = v[a] / norm;
            }
        }

        return q;
    }
}
