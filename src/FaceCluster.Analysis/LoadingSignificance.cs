namespace FaceCluster.Analysis;

/// <summary>
/// What one loading-significance replicate contributes (analysis.md section 7): for each rotated
/// dimension d of the all-rows analysis, the largest <c>N</c> such that some rotated column of the
/// replicate, up to sign, matches the signs of d's top-<c>N</c> entries by magnitude. The replicate
/// is a hit for <c>(d, N)</c> exactly when <c>MatchLengths[d] &gt;= N</c>.
/// </summary>
/// <param name="Index">Replicate index <c>r</c> (its random streams are keyed by it).</param>
/// <param name="SignificantDimensions"><c>s_r</c>, the significant dimensions the replicate found.</param>
/// <param name="MatchLengths">One entry per rotated dimension of the all-rows analysis.</param>
public sealed record LoadingReplicate(int Index, int SignificantDimensions, int[] MatchLengths);

/// <summary>One row of <c>loading_significance.parquet</c>.</summary>
/// <param name="Dimension">Rotated dimension label.</param>
/// <param name="N">Rank by magnitude, 1-based.</param>
/// <param name="Attribute">The N-th largest-magnitude attribute of the dimension.</param>
/// <param name="Loading">Its loading.</param>
/// <param name="P"><c>p_d(N) = 1 - hits / R</c>.</param>
/// <param name="Significant">Whether N is within the ForwardStop count.</param>
/// <param name="SignificantCount">The ForwardStop count of the dimension.</param>
public sealed record LoadingSignificanceRow(string Dimension, int N, string Attribute, double Loading, double P, bool Significant, int SignificantCount);

/// <summary>Loading significance by replicates of the whole analysis (analysis.md section 7).</summary>
public static class LoadingSignificance
{
    /// <summary>
    /// Replicate <paramref name="index"/>: draws <c>n</c> rows with replacement (stream
    /// <c>(seed, ReplicateSample, index)</c>), repeats sections 1-6 on that sample with its inner
    /// bootstrap (stream <c>(seed, InnerBootstrap, index, b)</c>) on one thread, and matches its rotated
    /// loadings against <paramref name="reference"/>. A pure function of its arguments.
    /// </summary>
    public static LoadingReplicate RunReplicate(
        RowMajorMatrix x, RowMajorMatrix y, RowMajorMatrix reference, PpcaOptions options, int index, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(options);
        var n = x.Rows;
        var random = new SeededRandom(options.Seed, RandomPurpose.ReplicateSample, index);
        var counts = new int[n];
        Resampling.DrawMultiplicities(ref random, Resampling.RowToStimulus(default, n), counts);

        var distinct = new List<int>(n);
        for (var s = 0; s < n; s++)
        {
            if (counts[s] > 0)
            {
                distinct.Add(s);
            }
        }

        var rows = distinct.ToArray();
        var weights = Array.ConvertAll(rows, s => counts[s]);
        var sample = PpcaAnalysis.AnalyzeSample(
            x.SelectRows(rows),
            y.SelectRows(rows),
            weights,
            options,
            options.InnerBootstrapResamples,
            RandomPurpose.InnerBootstrap,
            index,
            threads: 1,
            progress: null,
            cancellationToken);
        var matches = sample.Rotation is null
            ? new int[reference.Columns]
            : MatchLengths(reference, sample.Rotation.Loadings);
        return new LoadingReplicate(index, sample.Significant.Length, matches);
    }

    /// <summary>
    /// For each column d of <paramref name="reference"/>: the largest N such that some column of
    /// <paramref name="replicate"/>, times +1 or -1, has the signs of d's top-N entries by magnitude
    /// (ties broken by lower index); a zero entry never matches a sign.
    /// </summary>
    public static int[] MatchLengths(RowMajorMatrix reference, RowMajorMatrix replicate)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(replicate);
        var p = reference.Rows;
        var result = new int[reference.Columns];
        for (var d = 0; d < reference.Columns; d++)
        {
            var order = MagnitudeOrder(reference, d);
            var best = 0;
            for (var e = 0; e < replicate.Columns; e++)
            {
                foreach (var t in (ReadOnlySpan<int>)[1, -1])
                {
                    var length = 0;
                    while (length < p)
                    {
                        var a = order[length];
                        var expected = Math.Sign(reference[a, d]);
                        var actual = t * Math.Sign(replicate[a, e]);
                        if (expected == 0 || actual != expected)
                        {
                            break;
                        }

                        length++;
                    }

                    best = Math.Max(best, length);
                }
            }

            result[d] = best;
        }

        return result;
    }

    /// <summary>
    /// Aggregates replicates into <c>p_d(N) = 1 - #{r : MatchLengths_r[d] &gt;= N} / R</c> and the
    /// ForwardStop count per dimension; rows ordered by dimension, then N.
    /// </summary>
    public static IReadOnlyList<LoadingSignificanceRow> Aggregate(
        RowMajorMatrix reference,
        IReadOnlyList<string> labels,
        IReadOnlyList<string> attributes,
        IReadOnlyCollection<LoadingReplicate> replicates,
        double alpha)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(replicates);
        var p = reference.Rows;
        var total = replicates.Count;
        var rows = new List<LoadingSignificanceRow>(p * reference.Columns);
        for (var d = 0; d < reference.Columns; d++)
        {
            // atLeast[N] = number of replicates whose match length is at least N.
            var atLeast = new int[p + 2];
            foreach (var replicate in replicates)
            {
                atLeast[replicate.MatchLengths[d]]++;
            }

            for (var length = p - 1; length >= 0; length--)
            {
                atLeast[length] += atLeast[length + 1];
            }

            var pValues = new double[p];
            for (var rank = 1; rank <= p; rank++)
            {
                pValues[rank - 1] = 1.0 - ((double)atLeast[rank] / total);
            }

            var count = MultipleTesting.ForwardStop(pValues, alpha);
            var order = MagnitudeOrder(reference, d);
            for (var rank = 1; rank <= p; rank++)
            {
                var a = order[rank - 1];
                rows.Add(new LoadingSignificanceRow(labels[d], rank, attributes[a], reference[a, d], pValues[rank - 1], rank <= count, count));
            }
        }

        return rows;
    }

    /// <summary>Attribute indices by descending magnitude of column d, ties by lower index.</summary>
    private static int[] MagnitudeOrder(RowMajorMatrix loadings, int d)
    {
        var order = new int[loadings.Rows];
        for (var a = 0; a < order.Length; a++)
        {
            order[a] = a;
        }

        Array.Sort(order, (a, b) =>
        {
            var byMagnitude = Math.Abs(loadings[b, d]).CompareTo(Math.Abs(loadings[a, d]));
            return byMagnitude != 0 ? byMagnitude : a.CompareTo(b);
        });
        return order;
    }
}
