namespace FaceCluster.Analysis;

/// <summary>
/// Trustworthiness of an embedding (Venna and Kaski 2001), as <c>sklearn.manifold.trustworthiness</c>:
/// <c>T(k) = 1 - 2 / (n k (2n - 3k - 1)) sum_i sum_{j in U_k(i)} max(0, r(i, j) - k)</c>, where
/// <c>U_k(i)</c> are the k nearest neighbours of i in the embedding and <c>r(i, j)</c> is the rank of j
/// among i's neighbours in the input space (1 = nearest). Distances are Euclidean; ties are broken by
/// the lower index. 1 means every embedded neighbourhood is an input neighbourhood.
/// </summary>
public static class Trustworthiness
{
    /// <summary>
    /// Trustworthiness of <paramref name="embedding"/> (rows matched to <paramref name="data"/>) with
    /// <paramref name="neighbors"/> neighbours, which must be below <c>n / 2</c>.
    /// </summary>
    public static double Compute(RowMajorMatrix data, RowMajorMatrix embedding, int neighbors = 5, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(embedding);
        var n = data.Rows;
        if (embedding.Rows != n)
        {
            throw new ArgumentException($"the embedding has {embedding.Rows} rows, the data {n}", nameof(embedding));
        }

        if (neighbors < 1 || neighbors >= n / 2.0)
        {
            throw new ArgumentOutOfRangeException(nameof(neighbors), neighbors, $"neighbors must be 1 or more and below n / 2 = {n / 2.0}");
        }

        var k = neighbors;
        var penalties = new long[n];
        RowChunks.For(n, threads > 0 ? threads : Environment.ProcessorCount, (start, end) =>
        {
            var input = new double[n];
            var mapped = new double[n];
            var nearest = new int[k];
            for (var i = start; i < end; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    input[j] = TsneAffinities.SquaredDistance(data.Row(i), data.Row(j));
                    mapped[j] = TsneAffinities.SquaredDistance(embedding.Row(i), embedding.Row(j));
                }

                Nearest(mapped, i, nearest);
                long penalty = 0;
                foreach (var j in nearest)
                {
                    // Rank of j in the input space: 1 + the points (other than i) that come before it.
                    var rank = 1;
                    var dj = input[j];
                    for (var l = 0; l < n; l++)
                    {
                        if (l != i && (input[l] < dj || (input[l] == dj && l < j)))
                        {
                            rank++;
                        }
                    }

                    penalty += Math.Max(0, rank - k);
                }

                penalties[i] = penalty;
            }
        });

        long total = 0;
        foreach (var p in penalties)
        {
            total += p;
        }

        return 1.0 - (total * (2.0 / (n * (double)k * ((2.0 * n) - (3.0 * k) - 1.0))));
    }

    /// <summary>The <c>nearest.Length</c> points closest to <paramref name="self"/> by (distance, index), self excluded.</summary>
    private static void Nearest(double[] distances, int self, int[] nearest)
    {
        var k = nearest.Length;
        var count = 0;
        for (var j = 0; j < distances.Length; j++)
        {
            if (j == self)
            {
                continue;
            }

            // Insertion into a short sorted list: k is small (5 by default).
            var position = count;
            while (position > 0 && distances[j] < distances[nearest[position - 1]])
            {
                position--;
            }

            if (position >= k)
            {
                continue;
            }

            for (var t = Math.Min(count, k - 1); t > position; t--)
            {
                nearest[t] = nearest[t - 1];
            }

            nearest[position] = j;
            count = Math.Min(count + 1, k);
        }
    }
}
