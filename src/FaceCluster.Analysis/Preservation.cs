namespace FaceCluster.Analysis;

/// <summary>
/// Attributes named <c>{country}:{concept}</c> arranged as a full country x concept grid (analysis.md
/// section 9). Countries and concepts are numbered in order of first appearance.
/// </summary>
public sealed class AttributeGrid
{
    private readonly int[,] _rows;

    private AttributeGrid(string[] countries, string[] concepts, int[,] rows)
    {
        Countries = countries;
        Concepts = concepts;
        _rows = rows;
    }

    /// <summary>Country names, in order of first appearance.</summary>
    public IReadOnlyList<string> Countries { get; }

    /// <summary>Concept names, in order of first appearance.</summary>
    public IReadOnlyList<string> Concepts { get; }

    /// <summary>The attribute (row of the loadings) of <paramref name="country"/> and <paramref name="concept"/>.</summary>
    public int RowOf(int country, int concept) => _rows[country, concept];

    /// <summary>
    /// Splits each name at its first <c>':'</c> into country and concept and checks that every
    /// (country, concept) pair occurs exactly once with at least two countries. Returns null, with the
    /// reason in <paramref name="why"/>, when the names do not form such a grid.
    /// </summary>
    public static AttributeGrid? TryParse(IReadOnlyList<string> names, out string? why)
    {
        ArgumentNullException.ThrowIfNull(names);
        var countries = new List<string>();
        var concepts = new List<string>();
        var countryIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var conceptIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var cells = new Dictionary<(int Country, int Concept), int>();
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i];
            var colon = name is null ? -1 : name.IndexOf(':', StringComparison.Ordinal);
            if (name is null || colon <= 0 || colon == name.Length - 1)
            {
                why = $"attribute {i} ('{name}') is not of the form country:concept";
                return null;
            }

            var country = name[..colon];
            var concept = name[(colon + 1)..];
            if (!countryIndex.TryGetValue(country, out var a))
            {
                a = countries.Count;
                countryIndex[country] = a;
                countries.Add(country);
            }

            if (!conceptIndex.TryGetValue(concept, out var b))
            {
                b = concepts.Count;
                conceptIndex[concept] = b;
                concepts.Add(concept);
            }

            if (!cells.TryAdd((a, b), i))
            {
                why = $"attribute '{name}' occurs more than once";
                return null;
            }
        }

        if (countries.Count < 2)
        {
            why = $"{countries.Count} countr{(countries.Count == 1 ? "y" : "ies")}: preservation needs at least two";
            return null;
        }

        if (cells.Count != countries.Count * concepts.Count)
        {
            var missing = (from a in Enumerable.Range(0, countries.Count)
                           from b in Enumerable.Range(0, concepts.Count)
                           where !cells.ContainsKey((a, b))
                           select $"{countries[a]}:{concepts[b]}").First();
            why = $"not a full grid of {countries.Count} countries x {concepts.Count} concepts: {missing} is missing";
            return null;
        }

        var rows = new int[countries.Count, concepts.Count];
        foreach (var ((a, b), i) in cells)
        {
            rows[a, b] = i;
        }

        why = null;
        return new AttributeGrid(countries.ToArray(), concepts.ToArray(), rows);
    }
}

/// <summary>Preservation of rotated loadings across countries (analysis.md section 9).</summary>
/// <param name="R">Pearson correlation over all <c>c q s</c> pairs (<c>L_a[concept, d]</c>, <c>Lbar[concept, d]</c>).</param>
/// <param name="R2"><c>R^2</c>, the share preserved.</param>
/// <param name="PerDimension">The correlation over the <c>c q</c> pairs of each dimension (column of <c>L</c>).</param>
/// <param name="PerCountry">The correlation over the <c>q s</c> pairs of each country (grid order).</param>
public sealed record PreservationResult(double R, double R2, double[] PerDimension, double[] PerCountry);

/// <summary>Section 9: how similar the rotated loadings of each country are to their mean over countries.</summary>
public static class Preservation
{
    /// <summary>
    /// Reshapes the loadings <paramref name="loadings"/> (<c>p x s</c>, rows are the grid's attributes) into
    /// <c>L_a</c> (<c>q x s</c>) per country and <c>Lbar = (1/c) sum_a L_a</c>, and returns the Pearson
    /// correlations of section 9 (NaN where a set of pairs has no variance, e.g. <c>s = 0</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The loadings do not have one row per grid attribute.</exception>
    public static PreservationResult Compute(RowMajorMatrix loadings, AttributeGrid grid)
    {
        ArgumentNullException.ThrowIfNull(loadings);
        ArgumentNullException.ThrowIfNull(grid);
        var c = grid.Countries.Count;
        var q = grid.Concepts.Count;
        var s = loadings.Columns;
        if (loadings.Rows != c * q)
        {
            throw new ArgumentException($"Expected {c * q} attribute rows, got {loadings.Rows}.", nameof(loadings));
        }

        var mean = new double[q, s];
        for (var b = 0; b < q; b++)
        {
            for (var d = 0; d < s; d++)
            {
                var sum = 0.0;
                for (var a = 0; a < c; a++)
                {
                    sum += loadings[grid.RowOf(a, b), d];
                }

                mean[b, d] = sum / c;
            }
        }

        IEnumerable<(double X, double Y)> Pairs(Func<int, bool> country, Func<int, bool> dimension) =>
            from a in Enumerable.Range(0, c)
            where country(a)
            from b in Enumerable.Range(0, q)
            from d in Enumerable.Range(0, s)
            where dimension(d)
            select (loadings[grid.RowOf(a, b), d], mean[b, d]);

        var r = Pearson(Pairs(_ => true, _ => true));
        var perDimension = Enumerable.Range(0, s).Select(e => Pearson(Pairs(_ => true, d => d == e))).ToArray();
        var perCountry = Enumerable.Range(0, c).Select(e => Pearson(Pairs(a => a == e, _ => true))).ToArray();
        return new PreservationResult(r, r * r, perDimension, perCountry);
    }

    /// <summary>Pearson correlation (two-pass, centred); NaN when either side has no variance or there are no pairs.</summary>
    internal static double Pearson(IEnumerable<(double X, double Y)> pairs)
    {
        var list = pairs.ToList();
        if (list.Count == 0)
        {
            return double.NaN;
        }

        var mx = list.Average(v => v.X);
        var my = list.Average(v => v.Y);
        double sxy = 0, sxx = 0, syy = 0;
        foreach (var (x, y) in list)
        {
            sxy += (x - mx) * (y - my);
            sxx += (x - mx) * (x - mx);
            syy += (y - my) * (y - my);
        }

        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }
}
