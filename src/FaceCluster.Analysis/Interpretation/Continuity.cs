using MathNet.Numerics.Statistics;

namespace FaceCluster.Analysis;

/// <summary>One bin of a dimension's continuity curve: seeds whose DNN-score percentile lies in [<see cref="From"/>, <see cref="To"/>).</summary>
/// <param name="From">Lower edge, in percent.</param>
/// <param name="To">Upper edge, in percent (the last bin includes 100).</param>
/// <param name="Count">Seeds in the bin.</param>
/// <param name="Median">Median of their human-score percentiles (NaN when the bin is empty).</param>
/// <param name="Lower">First quartile of their human-score percentiles.</param>
/// <param name="Upper">Third quartile of their human-score percentiles.</param>
public sealed record ContinuityBin(double From, double To, int Count, double Median, double Lower, double Upper);

/// <summary>The continuity of one dimension (Figure 4B).</summary>
/// <param name="Label">The dimension.</param>
/// <param name="Bins">The bins of the DNN-score percentile, lowest first.</param>
/// <param name="SpreadAt25">Standard deviation of the human-score percentiles of the seeds within ±5 points of the 25th DNN-score percentile.</param>
/// <param name="SpreadAt50">The same around the 50th.</param>
/// <param name="SpreadAt75">The same around the 75th.</param>
public sealed record DimensionContinuity(string Label, IReadOnlyList<ContinuityBin> Bins, double SpreadAt25, double SpreadAt50, double SpreadAt75);

/// <summary>
/// How continuous a dimension is (analysis.md section 12, Figure 4B): does a seed's place along the DNN's dimension
/// predict its place along the people's, all the way, or only at the extremes?
/// </summary>
/// <remarks>
/// The percentile of seed <c>i</c> on a score column is <c>100 (rank_i - 1/2) / n</c> with average ranks for ties,
/// so percentiles lie strictly inside (0, 100) and are symmetric. The DNN-score percentiles are cut into
/// <see cref="BinCount"/> equal bins; in each, the median and quartiles of the human-score percentiles are quantiles of
/// type 7 (linear interpolation, as R's default and numpy's). The spread at the p-th percentile is the sample standard
/// deviation (<c>n - 1</c>) of the human-score percentiles of the seeds whose DNN-score percentile lies within
/// <see cref="SpreadHalfWidth"/> points of p, i.e. the two bins that meet there: the paper's check that the middle of a
/// dimension is no more ambiguous than its ends.
/// </remarks>
public static class Continuity
{
    /// <summary>Bins of the DNN-score percentile.</summary>
    public const int BinCount = 20;

    /// <summary>Half the width, in percentile points, of the window of the spreads.</summary>
    public const double SpreadHalfWidth = 5;

    /// <summary>The continuity of every dimension of <paramref name="scores"/> (the rotated held-out scores, section 12).</summary>
    public static IReadOnlyList<DimensionContinuity> Compute(RotatedScores scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        return [.. scores.Labels.Select((label, d) => Of(label, Column(scores.Dnn, d), Column(scores.Human, d)))];
    }

    /// <summary>The continuity of one dimension from its DNN-side and human-side scores (one entry per seed, same order).</summary>
    /// <exception cref="ArgumentException">The columns differ in length, have fewer than two seeds, or hold a non-finite value.</exception>
    public static DimensionContinuity Of(string label, double[] dnn, double[] human)
    {
        ArgumentNullException.ThrowIfNull(dnn);
        ArgumentNullException.ThrowIfNull(human);
        if (dnn.Length != human.Length || dnn.Length < 2)
        {
            throw new ArgumentException($"dimension {label}: continuity needs two score columns of the same length, at least 2 (got {dnn.Length} and {human.Length})");
        }

        var x = Percentiles(dnn);
        var y = Percentiles(human);
        var width = 100.0 / BinCount;
        var bins = new List<ContinuityBin>(BinCount);
        for (var b = 0; b < BinCount; b++)
        {
            var (from, to) = (b * width, (b + 1) * width);
            var inBin = y.Where((_, i) => x[i] >= from && (x[i] < to || b == BinCount - 1)).ToArray();
            bins.Add(inBin.Length == 0
                ? new ContinuityBin(from, to, 0, double.NaN, double.NaN, double.NaN)
                : new ContinuityBin(
                    from,
                    to,
                    inBin.Length,
                    inBin.QuantileCustom(0.5, QuantileDefinition.R7),
                    inBin.QuantileCustom(0.25, QuantileDefinition.R7),
                    inBin.QuantileCustom(0.75, QuantileDefinition.R7)));
        }

        double Spread(double at) => y.Where((_, i) => Math.Abs(x[i] - at) <= SpreadHalfWidth).StandardDeviation();
        return new DimensionContinuity(label, bins, Spread(25), Spread(50), Spread(75));
    }

    /// <summary>Percentiles <c>100 (rank - 1/2) / n</c> with average ranks for ties.</summary>
    public static double[] Percentiles(double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var ranks = Ranks.Average(values);
        return [.. ranks.Select(r => 100 * (r - 0.5) / values.Length)];
    }

    private static double[] Column(RowMajorMatrix matrix, int column)
    {
        var values = new double[matrix.Rows];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = matrix[i, column];
        }

        return values;
    }
}
