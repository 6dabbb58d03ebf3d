namespace FaceCluster.Analysis;

/// <summary>One concept of a dimension in one country, at its rank by loading.</summary>
/// <param name="Concept">The concept (the part of the attribute name after the first <c>':'</c>).</param>
/// <param name="Loading">Its rotated loading <c>L_a[concept, d]</c>.</param>
/// <param name="Significant">Whether the attribute is among the significant loadings of the dimension (analysis.md section 7).</param>
public sealed record RankedConcept(string Concept, double Loading, bool Significant);

/// <summary>What a rotated dimension means in one country.</summary>
/// <param name="Country">The country, in grid order.</param>
/// <param name="Top">The concepts with the largest loadings, largest first (at most <see cref="PpcaInterpretation.TopCount"/>).</param>
/// <param name="Consistency">
/// <c>r_{d,a}</c>: Pearson correlation over the <c>q</c> concepts of <c>L_a[:, d]</c> with <c>Lbar[:, d]</c>; NaN when either
/// has no variance.
/// </param>
/// <param name="AtThreshold">Whether <c>r_{d,a}</c> reaches the shared threshold (NaN never does).</param>
public sealed record CountryMeaning(string Country, IReadOnlyList<RankedConcept> Top, double Consistency, bool AtThreshold);

/// <summary>The interpretation of one rotated dimension across countries (analysis.md section 12).</summary>
/// <param name="Dimension">Its label (A, B, ...).</param>
/// <param name="Countries">One entry per country, in grid order.</param>
/// <param name="Shared">Whether <c>r_{d,a}</c> reaches the threshold in every country; otherwise culture-specific.</param>
/// <param name="CountriesBelow">The countries whose <c>r_{d,a}</c> is below the threshold (empty when shared).</param>
/// <param name="MostFrequentTopConcept">
/// The concept that is top in the most countries; ties go to the larger mean loading <c>Lbar[concept, d]</c>, then the
/// earlier concept.
/// </param>
/// <param name="TopConceptAgreement">In how many countries <paramref name="MostFrequentTopConcept"/> is the top concept.</param>
public sealed record DimensionMeaning(
    string Dimension,
    IReadOnlyList<CountryMeaning> Countries,
    bool Shared,
    IReadOnlyList<string> CountriesBelow,
    string MostFrequentTopConcept,
    int TopConceptAgreement);

/// <summary>Rotated held-out seed scores of the significant dimensions (analysis.md section 12).</summary>
/// <param name="Labels">The dimension labels, one per column.</param>
/// <param name="Dnn"><c>Zx = Sx T</c> (<c>n x s</c>).</param>
/// <param name="Human"><c>Zy = Sy T</c> (<c>n x s</c>).</param>
public sealed record RotatedScores(IReadOnlyList<string> Labels, RowMajorMatrix Dnn, RowMajorMatrix Human);

/// <summary>The interpretation tables of a PPCA result.</summary>
/// <param name="Threshold">The shared threshold on <c>r_{d,a}</c>.</param>
/// <param name="Scores">The rotated seed scores, or null when the result has no rotation (<see cref="PpcaResult.Rotation"/>).</param>
/// <param name="Meanings">One entry per rotated dimension; empty when skipped or when no dimension is significant.</param>
/// <param name="MeaningsSkippedBecause">Why <paramref name="Meanings"/> could not be formed (attributes not a country x concept grid), or null.</param>
public sealed record InterpretationResult(
    double Threshold, RotatedScores? Scores, IReadOnlyList<DimensionMeaning> Meanings, string? MeaningsSkippedBecause);

/// <summary>
/// Section 12 of analysis.md, the tables a researcher reads: rotated seed scores, the top concepts of each dimension
/// per country, and whether each dimension is shared across countries or culture-specific. A pure function of a
/// <see cref="PpcaResult"/>.
/// </summary>
public static class PpcaInterpretation
{
    /// <summary>The default threshold on <c>r_{d,a}</c> for a shared dimension (analysis.md section 12, a choice).</summary>
    public const double DefaultSharedThreshold = 0.6;

    /// <summary>How many top concepts are reported per dimension and country.</summary>
    public const int TopCount = 3;

    /// <summary>Every interpretation table of <paramref name="result"/>, with the shared threshold <paramref name="threshold"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is not a number in <c>[-1, 1]</c>.</exception>
    public static InterpretationResult Compute(PpcaResult result, double threshold = DefaultSharedThreshold)
    {
        ArgumentNullException.ThrowIfNull(result);
        CheckThreshold(threshold);
        var scores = result.Rotation is { } rotation ? Rotate(result.Scores, result.Dimensions, rotation, result.Labels) : null;
        var grid = AttributeGrid.TryParse(result.Attributes, out var why);
        if (grid is null)
        {
            return new InterpretationResult(threshold, scores, [], why);
        }

        var significant = result.LoadingSignificance
            .Where(r => r.Significant)
            .Select(r => (r.Dimension, r.Attribute))
            .ToHashSet();
        var meanings = Meanings(result.Loadings, result.Labels, result.Attributes, grid, significant, threshold);
        return new InterpretationResult(threshold, scores, meanings, null);
    }

    /// <summary>
    /// <c>Zx = Sx T</c>, <c>Zy = Sy T</c>: the held-out scores of the significant dimensions (columns of
    /// <paramref name="scores"/> whose <paramref name="dimensions"/> entry is significant, in their original order) times
    /// the rotation <paramref name="rotation"/> (<c>s x s</c>, rows in the same order), one column per label.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not match.</exception>
    public static RotatedScores Rotate(
        HeldOutScores scores, IReadOnlyList<DimensionStatistics> dimensions, RowMajorMatrix rotation, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(rotation);
        ArgumentNullException.ThrowIfNull(labels);
        var significant = dimensions.Where(d => d.Significant).Select(d => d.Dimension - 1).ToArray();
        var s = significant.Length;
        if (rotation.Rows != s || rotation.Columns != s || labels.Count != s)
        {
            throw new ArgumentException($"Expected a {s} x {s} rotation and {s} labels, got {rotation.Rows} x {rotation.Columns} and {labels.Count}.", nameof(rotation));
        }

        if (significant.Any(j => j >= scores.X.Columns))
        {
            throw new ArgumentException($"A significant dimension lies beyond the {scores.X.Columns} score columns.", nameof(scores));
        }

        return new RotatedScores(labels, Multiply(scores.X, significant, rotation), Multiply(scores.Y, significant, rotation));
    }

    /// <summary>
    /// The meaning of each rotated dimension per country: <paramref name="loadings"/> (<c>p x s</c>, rows the
    /// <paramref name="attributes"/>) reshaped into <c>L_a</c> by <paramref name="grid"/>; concepts ranked by loading
    /// (largest first, ties to the earlier concept); a concept marked significant when
    /// (<c>label</c>, <c>attribute</c>) is in <paramref name="significant"/>; <c>r_{d,a}</c> against
    /// <c>Lbar = (1/c) sum_a L_a</c>, shared when it reaches <paramref name="threshold"/> in every country.
    /// </summary>
    public static IReadOnlyList<DimensionMeaning> Meanings(
        RowMajorMatrix loadings,
        IReadOnlyList<string> labels,
        IReadOnlyList<string> attributes,
        AttributeGrid grid,
        IReadOnlySet<(string Dimension, string Attribute)> significant,
        double threshold = DefaultSharedThreshold)
    {
        ArgumentNullException.ThrowIfNull(loadings);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(significant);
        CheckThreshold(threshold);
        var c = grid.Countries.Count;
        var q = grid.Concepts.Count;
        if (loadings.Rows != c * q || attributes.Count != loadings.Rows || labels.Count != loadings.Columns)
        {
            throw new ArgumentException(
                $"Expected {c * q} attributes x {labels.Count} dimensions of loadings, got {loadings.Rows} x {loadings.Columns} and {attributes.Count} attributes.",
                nameof(loadings));
        }

        var result = new DimensionMeaning[labels.Count];
        for (var d = 0; d < labels.Count; d++)
        {
            var mean = new double[q];
            for (var b = 0; b < q; b++)
            {
                for (var a = 0; a < c; a++)
                {
                    mean[b] += loadings[grid.RowOf(a, b), d];
                }

                mean[b] /= c;
            }

            var countries = new CountryMeaning[c];
            var topOf = new int[c];
            for (var a = 0; a < c; a++)
            {
                var country = a;
                var ranked = Enumerable.Range(0, q)
                    .OrderByDescending(b => loadings[grid.RowOf(country, b), d])
                    .ThenBy(b => b)
                    .Take(TopCount)
                    .ToArray();
                topOf[a] = ranked[0];
                var top = ranked
                    .Select(b =>
                    {
                        var row = grid.RowOf(country, b);
                        return new RankedConcept(grid.Concepts[b], loadings[row, d], significant.Contains((labels[d], attributes[row])));
                    })
                    .ToArray();
                var r = Preservation.Pearson(Enumerable.Range(0, q).Select(b => (loadings[grid.RowOf(country, b), d], mean[b])));
                countries[a] = new CountryMeaning(grid.Countries[a], top, r, r >= threshold);
            }

            var below = countries.Where(m => !m.AtThreshold).Select(m => m.Country).ToArray();

            // The mode of the top concepts; a tie goes to the concept the countries load on most together.
            var mode = topOf
                .GroupBy(b => b)
                .OrderByDescending(g => g.Count())
                .ThenByDescending(g => mean[g.Key])
                .ThenBy(g => g.Key)
                .First();
            result[d] = new DimensionMeaning(labels[d], countries, below.Length == 0, below, grid.Concepts[mode.Key], mode.Count());
        }

        return result;
    }

    private static void CheckThreshold(double threshold)
    {
        if (!(threshold >= -1 && threshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The shared threshold is a correlation, in [-1, 1].");
        }
    }

    private static RowMajorMatrix Multiply(RowMajorMatrix scores, int[] columns, RowMajorMatrix rotation)
    {
        var n = scores.Rows;
        var s = columns.Length;
        var result = new RowMajorMatrix(n, s);
        for (var i = 0; i < n; i++)
        {
            for (var d = 0; d < s; d++)
            {
                var sum = 0.0;
                for (var j = 0; j < s; j++)
                {
                    sum += scores[i, columns[j]] * rotation[j, d];
                }

                result[i, d] = sum;
            }
        }

        return result;
    }
}
