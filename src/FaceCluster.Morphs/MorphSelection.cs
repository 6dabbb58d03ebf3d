using FaceCluster.Analysis;

namespace FaceCluster.Morphs;

/// <summary>The seeds whose mimics make a dimension's face.</summary>
/// <param name="ByScore">The top seeds by score on the dimension, highest first.</param>
/// <param name="ByDifferential">The top seeds by differential score, highest first.</param>
/// <param name="Seeds">
/// Both without duplicates: <paramref name="ByScore"/> in its order, then the seeds of
/// <paramref name="ByDifferential"/> that are not already there, in its order.
/// </param>
public sealed record SeedSelection(IReadOnlyList<string> ByScore, IReadOnlyList<string> ByDifferential, IReadOnlyList<string> Seeds);

/// <summary>Which seeds a dimension's morph is made of (Brooks et al. 2024: the top seeds by score and by differential score).</summary>
public static class MorphSelection
{
    /// <summary>
    /// The top <paramref name="count"/> seeds of dimension <paramref name="dimension"/> by score <c>zx[i, d]</c>, and the
    /// top <paramref name="count"/> by differential score <c>zx[i, d] - max over k != d of zx[i, k]</c>: the score minus
    /// the highest score among the OTHER dimensions. So when d is the seed's highest dimension the differential is its lead
    /// over the second-highest (positive), and when it is not, it is minus the gap to the seed's highest dimension
    /// (negative). With a single dimension there is no other, and the differential is the score itself. Ties go to the
    /// earlier seed (lower row); seeds with a score that is not a number (on d, or on any dimension for the
    /// differential) are left out of that ranking. Fewer seeds than <paramref name="count"/> give all of them.
    /// </summary>
    /// <param name="zx">Rotated DNN seed scores, seeds x dimensions (<see cref="RotatedScores.Dnn"/>).</param>
    /// <param name="seedIds">The seeds, one per row of <paramref name="zx"/>.</param>
    /// <param name="dimension">Column of the dimension.</param>
    /// <param name="count">How many seeds by each ranking.</param>
    /// <exception cref="ArgumentException">The seed count differs from the row count.</exception>
    public static SeedSelection Seeds(RowMajorMatrix zx, IReadOnlyList<string> seedIds, int dimension, int count = 5)
    {
        ArgumentNullException.ThrowIfNull(zx);
        ArgumentNullException.ThrowIfNull(seedIds);
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(dimension, zx.Columns);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (seedIds.Count != zx.Rows)
        {
            throw new ArgumentException($"{seedIds.Count} seed ids for {zx.Rows} rows of scores", nameof(seedIds));
        }

        var score = new double[zx.Rows];
        var differential = new double[zx.Rows];
        for (var i = 0; i < zx.Rows; i++)
        {
            var row = zx.Row(i);
            score[i] = row[dimension];
            var other = double.NegativeInfinity;
            var anyOther = false;
            for (var k = 0; k < row.Length; k++)
            {
                if (k != dimension)
                {
                    // Math.Max keeps a NaN, so a seed with any NaN drops out of the differential ranking.
                    other = Math.Max(other, row[k]);
                    anyOther = true;
                }
            }

            differential[i] = anyOther ? score[i] - other : score[i];
        }

        var byScore = Top(score, count).Select(i => seedIds[i]).ToArray();
        var byDifferential = Top(differential, count).Select(i => seedIds[i]).ToArray();
        return new SeedSelection(byScore, byDifferential, byScore.Concat(byDifferential).Distinct(StringComparer.Ordinal).ToArray());
    }

    /// <summary>Rows of the <paramref name="count"/> largest values (not NaN), largest first, ties to the lower row.</summary>
    private static IEnumerable<int> Top(double[] values, int count) =>
        Enumerable.Range(0, values.Length)
            .Where(i => !double.IsNaN(values[i]))
            .OrderByDescending(i => values[i])
            .ThenBy(i => i)
            .Take(count);
}
