namespace FaceCluster.Analysis;

/// <summary>
/// Symmetric t-SNE affinities <c>p_ij</c> in compressed sparse rows (columns ascending in each row),
/// normalised to sum 1 over all entries.
/// </summary>
internal sealed class SparseAffinities
{
    public SparseAffinities(int[] rowStart, int[] columns, double[] values)
    {
        RowStart = rowStart;
        Columns = columns;
        Values = values;
    }

    /// <summary>Row <c>i</c> holds entries <c>RowStart[i]</c> to <c>RowStart[i + 1] - 1</c>.</summary>
    public int[] RowStart { get; }

    public int[] Columns { get; }

    public double[] Values { get; }
}

/// <summary>
/// Input-space affinities of t-SNE as scikit-learn computes them: each point's Gaussian precision is
/// found by the binary search of <c>sklearn.manifold._utils._binary_search_perplexity</c>, then
/// <c>P = (P_cond + P_cond^T) / sum</c>.
/// </summary>
internal static class TsneAffinities
{
    private const int SearchSteps = 100;
    private const double EntropyTolerance = 1e-5;
    private const double TinySum = 1e-8;

    /// <summary>scikit-learn's <c>MACHINE_EPSILON</c>: the floor of exact <c>p_ij</c> and <c>q_ij</c>.</summary>
    public const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>Nearest neighbours of the Barnes-Hut affinities: <c>min(n - 1, int(3 perplexity + 1))</c>, as scikit-learn.</summary>
    public static int NeighborCount(int points, double perplexity) => (int)Math.Min(points - 1, Math.Floor((3.0 * perplexity) + 1.0));

    /// <summary>
    /// Row <c>i</c> of the conditional distribution <c>p_{j|i}</c> over the given squared distances.
    /// <paramref name="self"/> is the column of point <c>i</c> itself (left 0), or -1 when the
    /// distances are to neighbours only. Distances are float32 because scikit-learn casts them so
    /// before the search; the search itself runs in double, step for step as scikit-learn's.
    /// </summary>
    public static void ConditionalRow(ReadOnlySpan<float> distances, int self, double perplexity, Span<double> p)
    {
        // scikit-learn passes the perplexity as a C float.
        var desiredEntropy = Math.Log((float)perplexity);
        var betaMin = double.NegativeInfinity;
        var betaMax = double.PositiveInfinity;
        var beta = 1.0;
        for (var step = 0; step < SearchSteps; step++)
        {
            var sum = 0.0;
            for (var j = 0; j < distances.Length; j++)
            {
                if (j != self)
                {
                    p[j] = Math.Exp(-distances[j] * beta);
                    sum += p[j];
                }
            }

            if (sum == 0.0)
            {
                sum = TinySum;
            }

            var weighted = 0.0;
            for (var j = 0; j < distances.Length; j++)
            {
                p[j] /= sum;
                weighted += distances[j] * p[j];
            }

            var difference = Math.Log(sum) + (beta * weighted) - desiredEntropy;
            if (Math.Abs(difference) <= EntropyTolerance)
            {
                break;
            }

            if (difference > 0.0)
            {
                betaMin = beta;
                beta = double.IsPositiveInfinity(betaMax) ? beta * 2.0 : (beta + betaMax) / 2.0;
            }
            else
            {
                betaMax = beta;
                beta = double.IsNegativeInfinity(betaMin) ? beta / 2.0 : (beta + betaMin) / 2.0;
            }
        }
    }

    /// <summary>The dense conditional matrix <c>p_{j|i}</c> (row i) over all other points.</summary>
    public static double[] ConditionalDense(RowMajorMatrix data, double perplexity, int threads)
    {
        var n = data.Rows;
        var conditional = new double[(long)n * n];
        RowChunks.For(n, threads, (start, end) =>
        {
            var distances = new float[n];
            for (var i = start; i < end; i++)
            {
                var row = data.Row(i);
                for (var j = 0; j < n; j++)
                {
                    distances[j] = (float)SquaredDistance(row, data.Row(j));
                }

                ConditionalRow(distances, i, perplexity, conditional.AsSpan(i * n, n));
            }
        });
        return conditional;
    }

    /// <summary>
    /// Dense joint affinities for the exact gradient, as <c>_joint_probabilities</c>:
    /// <c>max((P_cond + P_cond^T) / sum, MACHINE_EPSILON)</c> off the diagonal, 0 on it.
    /// </summary>
    public static double[] ExactJoint(RowMajorMatrix data, double perplexity, int threads)
    {
        var n = data.Rows;
        var conditional = ConditionalDense(data, perplexity, threads);
        var joint = new double[(long)n * n];
        var sum = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var value = conditional[(i * n) + j] + conditional[(j * n) + i];
                joint[(i * n) + j] = value;
                sum += value;
            }
        }

        sum = Math.Max(sum, MachineEpsilon);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                joint[(i * n) + j] = i == j ? 0.0 : Math.Max(joint[(i * n) + j] / sum, MachineEpsilon);
            }
        }

        return joint;
    }

    /// <summary>
    /// Sparse joint affinities for Barnes-Hut, as <c>_joint_probabilities_nn</c>: each point's
    /// conditional distribution over its <see cref="NeighborCount"/> exact nearest neighbours
    /// (Euclidean; ties broken by the lower index), symmetrised and normalised.
    /// </summary>
    public static SparseAffinities SparseJoint(RowMajorMatrix data, double perplexity, int threads, CancellationToken cancellationToken)
    {
        var n = data.Rows;
        var k = NeighborCount(n, perplexity);
        var neighbors = new int[(long)n * k];
        var conditional = new double[(long)n * k];
        RowChunks.For(n, threads, (start, end) =>
        {
            var all = new double[n];
            var heapDistance = new double[k];
            var heapIndex = new int[k];
            var distances = new float[k];
            for (var i = start; i < end && !cancellationToken.IsCancellationRequested; i++)
            {
                var row = data.Row(i);
                for (var j = 0; j < n; j++)
                {
                    all[j] = SquaredDistance(row, data.Row(j));
                }

                var picked = neighbors.AsSpan(i * k, k);
                Nearest(all, i, heapDistance, heapIndex, picked);

                // scikit-learn sorts each row of the neighbour graph by column before the search.
                picked.Sort();
                for (var t = 0; t < k; t++)
                {
                    distances[t] = (float)all[picked[t]];
                }

                ConditionalRow(distances, -1, perplexity, conditional.AsSpan(i * k, k));
            }
        });

        cancellationToken.ThrowIfCancellationRequested();
        return Symmetrise(n, k, neighbors, conditional);
    }

    /// <summary>The <c>picked.Length</c> smallest <paramref name="distances"/> other than <paramref name="self"/>, by (distance, index).</summary>
    private static void Nearest(double[] distances, int self, double[] heapDistance, int[] heapIndex, Span<int> picked)
    {
        // A bounded max-heap keyed by (distance, index): the root is the worst kept neighbour.
        var k = picked.Length;
        var size = 0;
        for (var j = 0; j < distances.Length; j++)
        {
            if (j == self)
            {
                continue;
            }

            var d = distances[j];
            if (size < k)
            {
                var c = size++;
                while (c > 0)
                {
                    var parent = (c - 1) >> 1;
                    if (!Before(heapDistance[parent], heapIndex[parent], d, j))
                    {
                        break;
                    }

                    heapDistance[c] = heapDistance[parent];
                    heapIndex[c] = heapIndex[parent];
                    c = parent;
                }

                heapDistance[c] = d;
                heapIndex[c] = j;
            }
            else if (Before(d, j, heapDistance[0], heapIndex[0]))
            {
                var c = 0;
                while (true)
                {
                    var child = (2 * c) + 1;
                    if (child >= k)
                    {
                        break;
                    }

                    if (child + 1 < k && Before(heapDistance[child], heapIndex[child], heapDistance[child + 1], heapIndex[child + 1]))
                    {
                        child++;
                    }

                    if (!Before(d, j, heapDistance[child], heapIndex[child]))
                    {
                        break;
                    }

                    heapDistance[c] = heapDistance[child];
                    heapIndex[c] = heapIndex[child];
                    c = child;
                }

                heapDistance[c] = d;
                heapIndex[c] = j;
            }
        }

        heapIndex.AsSpan(0, k).CopyTo(picked);

        static bool Before(double d1, int i1, double d2, int i2) => d1 < d2 || (d1 == d2 && i1 < i2);
    }

    /// <summary><c>(C + C^T) / sum</c> for the k-neighbour conditional matrix <c>C</c>, columns ascending per row.</summary>
    private static SparseAffinities Symmetrise(int n, int k, int[] neighbors, double[] conditional)
    {
        var counts = new int[n + 1];
        for (var i = 0; i < n; i++)
        {
            counts[i] += k;
            for (var t = 0; t < k; t++)
            {
                counts[neighbors[(i * k) + t]]++;
            }
        }

        // Gather each row's own entries and the transposed ones, then merge equal columns.
        var start = new int[n + 1];
        for (var i = 0; i < n; i++)
        {
            start[i + 1] = start[i] + counts[i];
        }

        var fill = start.AsSpan(0, n).ToArray();
        var columns = new int[start[n]];
        var values = new double[start[n]];
        for (var i = 0; i < n; i++)
        {
            for (var t = 0; t < k; t++)
            {
                var j = neighbors[(i * k) + t];
                var c = conditional[(i * k) + t];
                columns[fill[i]] = j;
                values[fill[i]++] = c;
                columns[fill[j]] = i;
                values[fill[j]++] = c;
            }
        }

        var rowStart = new int[n + 1];
        var outColumns = new List<int>(start[n]);
        var outValues = new List<double>(start[n]);
        for (var i = 0; i < n; i++)
        {
            var cols = columns.AsSpan(start[i], counts[i]);
            var vals = values.AsSpan(start[i], counts[i]);
            cols.Sort(vals);
            for (var t = 0; t < cols.Length; t++)
            {
                if (t > 0 && cols[t] == cols[t - 1])
                {
                    outValues[^1] += vals[t];
                }
                else
                {
                    outColumns.Add(cols[t]);
                    outValues.Add(vals[t]);
                }
            }

            rowStart[i + 1] = outColumns.Count;
        }

        var finalValues = outValues.ToArray();
        var sum = 0.0;
        foreach (var v in finalValues)
        {
            sum += v;
        }

        sum = Math.Max(sum, MachineEpsilon);
        for (var t = 0; t < finalValues.Length; t++)
        {
            finalValues[t] /= sum;
        }

        return new SparseAffinities(rowStart, outColumns.ToArray(), finalValues);
    }

    /// <summary>Squared Euclidean distance, summed over columns in order.</summary>
    public static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var c = 0; c < a.Length; c++)
        {
            var d = a[c] - b[c];
            sum += d * d;
        }

        return sum;
    }
}
