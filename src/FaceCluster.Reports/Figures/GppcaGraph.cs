using ScottPlot;

namespace FaceCluster.Reports;

/// <summary>The G-PPCA results of one dimension: whether it is preserved, and the q-value of every pair of countries.</summary>
/// <param name="Label">The dimension.</param>
/// <param name="Preserved">Whether G-PPCA counts it as preserved across the countries.</param>
/// <param name="Pairs">The q-value of each pair of countries (<c>A</c>, <c>B</c> name countries; order within a pair does not matter).</param>
public sealed record GppcaDimensionPairs(string Label, bool Preserved, IReadOnlyList<(string A, string B, double Q)> Pairs);

/// <summary>
/// The G-PPCA pairwise results: which pairs of countries share which dimensions, as a graph of the countries and as a
/// matrix of dimensions by pairs.
/// </summary>
public static class GppcaGraph
{
    /// <summary>The graph's file name.</summary>
    public const string Name = "gppca_graph";

    /// <summary>The matrix's file name.</summary>
    public const string MatrixName = "gppca_matrix";

    /// <summary>The significance level of a pair's q-value unless the caller gives another.</summary>
    public const double DefaultAlpha = 0.05;

    /// <summary>Colour of the edges and of a significant cell of the matrix.</summary>
    public static readonly Color SignificantColor = new(0x2B, 0x5C, 0x8A);

    /// <summary>Colour of a cell of the matrix whose pair is not significant.</summary>
    public static readonly Color NotSignificantColor = new(0xF0, 0xF0, 0xF0);

    /// <summary>Colour of a cell of the matrix whose pair has no q-value.</summary>
    public static readonly Color MissingColor = Colors.White;

    /// <summary>
    /// The countries on a circle, joined by an edge whose width and opacity grow with the number of dimensions for which
    /// that pair's q-value is below <paramref name="alpha"/>; the edge is labelled with that number.
    /// </summary>
    /// <param name="countries">The countries, clockwise from the top.</param>
    /// <param name="dimensions">The dimensions' pairwise q-values.</param>
    /// <param name="alpha">Significance level of a q-value.</param>
    public static Figure Create(IReadOnlyList<string> countries, IReadOnlyList<GppcaDimensionPairs> dimensions, double alpha = DefaultAlpha)
    {
        ArgumentNullException.ThrowIfNull(countries);
        ArgumentNullException.ThrowIfNull(dimensions);
        var pairs = Pairs(countries);
        var counts = pairs.Select(p => dimensions.Count(d => IsSignificant(Q(d, p.A, p.B), alpha))).ToArray();
        var most = Math.Max(1, counts.DefaultIfEmpty(0).Max());
        var angle = countries.Select((_, i) => (Math.PI / 2) - (2 * Math.PI * i / Math.Max(1, countries.Count))).ToArray();

        var plot = PlotStyle.NewPlot();
        for (var p = 0; p < pairs.Length; p++)
        {
            var (a, b) = (pairs[p].IndexA, pairs[p].IndexB);
            var (x1, y1, x2, y2) = (Math.Cos(angle[a]), Math.Sin(angle[a]), Math.Cos(angle[b]), Math.Sin(angle[b]));
            var share = (double)counts[p] / most;
            var edge = plot.Add.Line(x1, y1, x2, y2);
            edge.LineWidth = counts[p] == 0 ? 1 : (float)(1.5 + (10 * share));
            edge.LineColor = counts[p] == 0 ? Colors.LightGray : SignificantColor.WithAlpha(0.25 + (0.65 * share));
            edge.LinePattern = counts[p] == 0 ? LinePattern.Dotted : LinePattern.Solid;

            // Labels sit on the edge, pulled a little towards the first country so that the diagonals through the centre
            // (which all cross there) keep their labels apart.
            var at = 0.42;
            var label = plot.Add.Text(FigureKit.Format(counts[p], "0"), x1 + (at * (x2 - x1)), y1 + (at * (y2 - y1)));
            label.LabelFontSize = 14;
            label.LabelBold = counts[p] > 0;
            label.LabelFontColor = counts[p] == 0 ? Colors.Gray : Colors.Black;
            label.LabelBackgroundColor = Colors.White.WithAlpha(0.85);
            label.LabelPadding = 2;
            label.LabelAlignment = Alignment.MiddleCenter;
        }

        for (var i = 0; i < countries.Count; i++)
        {
            var node = plot.Add.Marker(Math.Cos(angle[i]), Math.Sin(angle[i]), MarkerShape.FilledCircle, 46, SignificantColor);
            node.MarkerLineColor = Colors.White;
            var name = plot.Add.Text(countries[i], Math.Cos(angle[i]), Math.Sin(angle[i]));
            name.LabelFontSize = 15;
            name.LabelBold = true;
            name.LabelFontColor = Colors.White;
            name.LabelAlignment = Alignment.MiddleCenter;
        }

        plot.HideAxesAndGrid();
        plot.Axes.SetLimits(-1.3, 1.3, -1.3, 1.3);
        plot.Title($"Pairs of countries sharing dimensions (q < {FigureKit.Format(alpha, "0.###")})");
        var caption =
            $"Countries on a circle; an edge's number is how many of the {dimensions.Count} dimensions that pair of countries shares " +
            $"(pairwise G-PPCA q < {FigureKit.Format(alpha, "0.###")}); wider, darker edges share more, dotted edges none.";
        return PlotStyle.Render(plot, Name, "Dimensions shared by each pair of countries", caption, 800, 800);
    }

    /// <summary>
    /// A matrix of dimensions (rows) by pairs of countries (columns): a filled cell is a pair whose q-value is below
    /// <paramref name="alpha"/>; preserved dimensions are marked with a star.
    /// </summary>
    /// <param name="countries">The countries; pairs are ordered by the first country, then the second.</param>
    /// <param name="dimensions">The dimensions' pairwise q-values, top row first.</param>
    /// <param name="alpha">Significance level of a q-value.</param>
    public static Figure CreateMatrix(IReadOnlyList<string> countries, IReadOnlyList<GppcaDimensionPairs> dimensions, double alpha = DefaultAlpha)
    {
        ArgumentNullException.ThrowIfNull(countries);
        ArgumentNullException.ThrowIfNull(dimensions);
        var pairs = Pairs(countries);
        if (dimensions.Count == 0 || pairs.Length == 0)
        {
            throw new ArgumentException("the matrix needs at least one dimension and two countries", nameof(dimensions));
        }

        // 1 significant, 0 not, NaN no q-value: a three-colour palette over [0, 1] with NaN drawn separately.
        var cells = new double[dimensions.Count, pairs.Length];
        for (var d = 0; d < dimensions.Count; d++)
        {
            for (var p = 0; p < pairs.Length; p++)
            {
                var q = Q(dimensions[d], pairs[p].A, pairs[p].B);
                cells[d, p] = double.IsNaN(q) ? double.NaN : IsSignificant(q, alpha) ? 1 : 0;
            }
        }

        var plot = PlotStyle.NewPlot();
        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = new ScottPlot.Colormaps.CustomPalette([NotSignificantColor, SignificantColor]);
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.NaNCellColor = MissingColor;
        heatmap.Rectangle = new CoordinateRect(0, pairs.Length, 0, dimensions.Count);

        // White rules between the cells keep rows and columns countable.
        for (var d = 1; d < dimensions.Count; d++)
        {
            plot.Add.HorizontalLine(d, 1.5f, Colors.White);
        }

        for (var p = 1; p < pairs.Length; p++)
        {
            plot.Add.VerticalLine(p, 1.5f, Colors.White);
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. pairs.Select((_, p) => p + 0.5)], [.. pairs.Select(p => $"{p.A}–{p.B}")]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        // ScottPlot sizes the axis for horizontal labels; slanted ones need the room their slant takes.
        plot.Axes.Bottom.MinimumSize = 80;
        plot.Axes.Right.MinimumSize = 50;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. dimensions.Select((_, d) => dimensions.Count - d - 0.5)],
            [.. dimensions.Select(d => d.Preserved ? $"★ {d.Label}" : d.Label)]);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Axes.Bottom.MajorTickStyle.Length = 3;
        plot.Axes.Left.MajorTickStyle.Length = 3;
        plot.Axes.SetLimits(0, pairs.Length, 0, dimensions.Count);
        plot.HideGrid();
        plot.Title($"Pairwise G-PPCA significance (q < {FigureKit.Format(alpha, "0.###")})");

        var width = 260 + (40 * pairs.Length);
        var height = 160 + (22 * dimensions.Count);
        var caption =
            $"Rows are dimensions (★ preserved across all countries), columns pairs of countries; a filled cell is a pair whose " +
            $"G-PPCA q-value is below {FigureKit.Format(alpha, "0.###")}, a white one has no q-value.";
        var figure = PlotStyle.Render(plot, MatrixName, "Pairwise G-PPCA significance by dimension", caption, width, height);
        return figure with { Svg = FigureKit.CrispImages(figure.Svg) };
    }

    private static bool IsSignificant(double q, double alpha) => q < alpha;

    private static (string A, string B, int IndexA, int IndexB)[] Pairs(IReadOnlyList<string> countries) =>
        [.. from a in Enumerable.Range(0, countries.Count)
            from b in Enumerable.Range(a + 1, countries.Count - a - 1)
            select (countries[a], countries[b], a, b)];

    /// <summary>The q-value of the pair (<paramref name="a"/>, <paramref name="b"/>) for dimension <paramref name="d"/>, either order; NaN if absent.</summary>
    private static double Q(GppcaDimensionPairs d, string a, string b)
    {
        foreach (var (pa, pb, q) in d.Pairs)
        {
            if ((pa == a && pb == b) || (pa == b && pb == a))
            {
                return q;
            }
        }

        return double.NaN;
    }
}
