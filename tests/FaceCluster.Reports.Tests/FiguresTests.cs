using System.Text.RegularExpressions;
using System.Xml.Linq;
using FaceCluster.Analysis;
using SkiaSharp;

namespace FaceCluster.Reports.Tests;

public sealed class FiguresTests
{
    private static readonly string[] Countries = ["CN", "ET", "IN"];

    [Fact]
    public void Loadings_heatmap_renders_labels_and_outlines_a_significant_stripe_where_it_belongs()
    {
        var none = LoadingsHeatmap.Create(Grid(significantAt: null));
        var one = LoadingsHeatmap.Create(Grid(significantAt: (0, 0, 0)));
        var expectedWidth = 200 + (LoadingsHeatmap.ConceptWidth * 4) + 110;
        AssertFigure(one, "loadings_heatmap", expectedWidth, null, "Joy", "Surprise (negative)", "Pain", "Loading");
        Assert.Contains("CN, ET, IN", one.Caption, StringComparison.Ordinal);
        AssertDeterministic(() => LoadingsHeatmap.Create(Grid(significantAt: (0, 0, 0))), one);

        // The outline is the only difference: it must be black and lie at the top-left stripe (first dimension, first
        // concept, first country), not spread over the heatmap.
        using var a = SKBitmap.Decode(none.Png);
        using var b = SKBitmap.Decode(one.Png);
        var (minX, minY, maxX, maxY, dark) = (int.MaxValue, int.MaxValue, -1, -1, 0);
        for (var y = 0; y < a.Height; y++)
        {
            for (var x = 0; x < a.Width; x++)
            {
                var (pa, pb) = (a.GetPixel(x, y), b.GetPixel(x, y));
                if (pa != pb)
                {
                    (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
                    dark += pb.Red + pb.Green + pb.Blue < 150 ? 1 : 0;
                }
            }
        }

        Assert.True(maxX >= 0, "the significant stripe changed no pixel");
        // One stripe of one concept: a small part of a plot 4 concepts wide (each concept is 3 stripes and a gap).
        Assert.InRange(maxX - minX, 2, a.Width / 12);
        Assert.InRange(maxY - minY, LoadingsHeatmap.RowHeight / 2, LoadingsHeatmap.RowHeight * 2);
        Assert.True(minX < a.Width / 3 && maxY < a.Height / 2, $"outline at x {minX}..{maxX}, y {minY}..{maxY}: not the top-left stripe");
        Assert.True(dark > 20, $"only {dark} dark outline pixels");
    }

    [Fact]
    public void Loadings_heatmap_rejects_arrays_that_do_not_match_the_labels()
    {
        var grid = Grid(null) with { Loadings = new double[2, 2, 2] };
        Assert.Throws<ArgumentException>(() => LoadingsHeatmap.Create(grid));
    }

    [Fact]
    public void Tsne_map_has_a_legend_entry_for_each_dimension_present_and_none_for_an_absent_one()
    {
        double[] x = [0, 1, 2, 3, 4, 5];
        double[] y = [5, 3, 1, 0, 2, 4];
        int[] dominant = [0, 2, 0, 2, 2, 0];
        string[] labels = ["Awe", "Boredom", "Calmness"];
        var figure = TsneMap.Create("tsne_test", "t-SNE test", x, y, dominant, labels);
        AssertFigure(figure, "tsne_test", 1300, 1000, "Awe", "Calmness", "t-SNE 1", "t-SNE 2");
        Assert.DoesNotContain("Boredom", TextsOf(figure.Svg));
        AssertDeterministic(() => TsneMap.Create("tsne_test", "t-SNE test", x, y, dominant, labels), figure);
        Assert.Throws<ArgumentException>(() => TsneMap.Create("Bad Name", "t", x, y, dominant, labels));
        Assert.Throws<ArgumentException>(() => TsneMap.Create("tsne_test", "t", x, y, [0, 1, 2, 3, 0, 0], labels));
    }

    [Fact]
    public void Continuity_figure_has_a_titled_panel_per_dimension_and_unique_ids_in_its_svg()
    {
        var dimensions = Enumerable.Range(0, 9).Select(d => Continuity($"Dim{d}", d)).ToArray();
        var figure = ContinuityFigure.Create(dimensions);
        var width = ContinuityFigure.Left + (ContinuityFigure.Columns * ContinuityFigure.PanelWidth) + 10;
        var height = ContinuityFigure.Top + (2 * ContinuityFigure.PanelHeight) + 30;
        AssertFigure(figure, "continuity", width, height, "DNN-score percentile", "Human-score percentile", "Dim0", "Dim8");
        Assert.Contains("σ 12.3 · 45.7 · 7.9", figure.Svg, StringComparison.Ordinal);
        AssertDeterministic(() => ContinuityFigure.Create(dimensions), figure);

        // Nine panels, each its own nested svg; their clip paths must not collide once they share one document.
        var root = XElement.Parse(figure.Svg);
        Assert.Equal(9, root.Elements().Count(e => e.Name.LocalName == "svg"));
        var ids = root.Descendants().Select(e => (string?)e.Attribute("id")).OfType<string>().ToArray();
        Assert.NotEmpty(ids);
        Assert.Equal(ids.Length, ids.Distinct(StringComparer.Ordinal).Count());
        foreach (Match reference in Regex.Matches(figure.Svg, @"url\(#([^)]+)\)"))
        {
            Assert.Contains(reference.Groups[1].Value, ids);
        }
    }

    [Fact]
    public void Preservation_figure_states_r_and_r2_and_names_every_bar()
    {
        (string, double)[] perDimension = [("Awe", 0.7), ("Pain", 0.4), ("Joy", -0.1)];
        (string, double)[] perCountry = [("CN", 0.6), ("US", 0.65)];
        var figure = PreservationFigure.Create(0.61, 0.3721, perDimension, perCountry);
        AssertFigure(figure, "preservation", 420 + 260, 570, "Awe", "Pain", "Joy", "CN", "US");
        Assert.Contains("r = 0.610, r² = 0.372", figure.Svg, StringComparison.Ordinal);
        Assert.Contains("overall r = 0.61", figure.Svg, StringComparison.Ordinal);
        AssertDeterministic(() => PreservationFigure.Create(0.61, 0.3721, perDimension, perCountry), figure);
    }

    [Fact]
    public void Gppca_graph_labels_each_pair_with_its_count_of_significant_dimensions()
    {
        var dimensions = GppcaInput();
        var figure = GppcaGraph.Create(Countries, dimensions);
        AssertFigure(figure, "gppca_graph", 800, 800, "CN", "ET", "IN");
        var texts = TextsOf(figure.Svg);
        // CN-ET significant in both dimensions, CN-IN in one (0.01; 0.2 is not), ET-IN in none (0.05 is not below 0.05).
        Assert.Equal(["0", "1", "2"], texts.Where(t => t.Length == 1 && char.IsDigit(t[0])).Order(StringComparer.Ordinal));
        AssertDeterministic(() => GppcaGraph.Create(Countries, dimensions), figure);

        // A looser alpha counts ET-IN's 0.05 too.
        var loose = TextsOf(GppcaGraph.Create(Countries, dimensions, alpha: 0.1).Svg);
        Assert.Equal(["1", "1", "2"], loose.Where(t => t.Length == 1 && char.IsDigit(t[0])).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Gppca_matrix_fills_the_significant_cells_and_stars_the_preserved_dimensions()
    {
        var dimensions = GppcaInput();
        var figure = GppcaGraph.CreateMatrix(Countries, dimensions);
        AssertFigure(figure, "gppca_matrix", 260 + (40 * 3), 160 + (22 * 2), "★ Awe", "Pain", "CN–ET", "ET–IN");
        Assert.DoesNotContain("★ Pain", figure.Svg, StringComparison.Ordinal);
        AssertDeterministic(() => GppcaGraph.CreateMatrix(Countries, dimensions), figure);

        // Three of the six cells are significant: about as many pixels of the filled colour as of the empty one.
        using var bitmap = SKBitmap.Decode(figure.Png);
        var (filled, empty) = (0, 0);
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var p = bitmap.GetPixel(x, y);
                filled += Same(p, GppcaGraph.SignificantColor) ? 1 : 0;
                empty += Same(p, GppcaGraph.NotSignificantColor) ? 1 : 0;
            }
        }

        Assert.True(filled > 1000, $"{filled} filled pixels");
        Assert.InRange((double)filled / empty, 0.8, 1.25);
    }

    [Fact]
    public void Training_curve_shows_the_baseline_only_when_it_is_known()
    {
        TrainingPoint[] points = [new(0, 1, 0.05, null), new(0, 2, 0.04, 0.045), new(1, 3, 0.035, null), new(1, 4, 0.03, 0.033)];
        var figure = TrainingCurve.Create(points, 0.047);
        AssertFigure(figure, "training_curve", 1000, 560, "training loss (per step)", "held-out MSE (per epoch)", "mean predictor MSE = 0.0470", "Step");
        AssertDeterministic(() => TrainingCurve.Create(points, 0.047), figure);
        var without = TrainingCurve.Create(points, null);
        Assert.DoesNotContain("mean predictor", without.Svg, StringComparison.Ordinal);
        Assert.NotNull(XDocument.Parse(TrainingCurve.Create([], null).Svg));
    }

    [Fact]
    public void Face_montage_puts_each_face_at_its_thumbnail_position()
    {
        var red = Solid(160, 255, 0, 0);
        var blue = Solid(160, 0, 0, 255);
        var green = Solid(160, 0, 255, 0);
        MontageRow[] rows = [new("seed 1 · 2.50", red, [blue, green]), new("seed 2 · 1.00", green, [red])];
        var figure = FaceMontage.Create("montage_test", "Faces", rows, thumbnail: 40);
        AssertFigure(figure, "montage_test", null, FaceMontage.HeadingHeight + (2 * (40 + FaceMontage.Gap)) + FaceMontage.Margin, "seed 1 · 2.50", "seed 2 · 1.00", "Faces");
        Assert.Contains("data:image/png;base64,", figure.Svg, StringComparison.Ordinal);
        AssertDeterministic(() => FaceMontage.Create("montage_test", "Faces", rows, thumbnail: 40), figure);

        using var bitmap = SKBitmap.Decode(figure.Png);
        var y = FaceMontage.HeadingHeight + 20;
        var left = Enumerable.Range(0, bitmap.Width).First(x => bitmap.GetPixel(x, y) == new SKColor(255, 0, 0));
        Assert.Equal(new SKColor(255, 0, 0), bitmap.GetPixel(left + 39, y));
        Assert.Equal(SKColors.White, bitmap.GetPixel(left + 41, y));
        var mimic = left + 40 + FaceMontage.SeedGap;
        Assert.Equal(new SKColor(0, 0, 255), bitmap.GetPixel(mimic + 1, y));
        Assert.Equal(new SKColor(0, 255, 0), bitmap.GetPixel(mimic + 40 + FaceMontage.Gap + 1, y));
        Assert.Equal(new SKColor(0, 255, 0), bitmap.GetPixel(left + 20, y + 40 + FaceMontage.Gap));
        Assert.Equal(new SKColor(255, 0, 0), bitmap.GetPixel(mimic + 20, y + 40 + FaceMontage.Gap));

        Assert.Throws<ArgumentException>(() => FaceMontage.Create("montage_test", "Faces", [new("bad", new byte[10], [])]));
    }

    private static void AssertFigure(Figure figure, string name, int? width, int? height, params string[] labels)
    {
        Assert.Equal(name, figure.Name);
        Assert.Matches("^[a-z0-9_]+$", figure.Name);
        Assert.False(string.IsNullOrWhiteSpace(figure.Title));
        Assert.False(string.IsNullOrWhiteSpace(figure.Caption));
        using var bitmap = SKBitmap.Decode(figure.Png);
        Assert.NotNull(bitmap);
        if (width is { } w)
        {
            Assert.Equal(w, bitmap.Width);
        }

        if (height is { } h)
        {
            Assert.Equal(h, bitmap.Height);
        }

        var svg = XDocument.Parse(figure.Svg);
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        Assert.Equal(bitmap.Width.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)svg.Root.Attribute("width"));
        var texts = TextsOf(figure.Svg);
        foreach (var label in labels)
        {
            Assert.True(texts.Any(t => t.Contains(label, StringComparison.Ordinal)), $"the SVG has no text '{label}'");
        }

        // Nothing may point outside the file.
        Assert.DoesNotMatch(@"(href|src)=""(https?:|//)", figure.Svg);
    }

    private static void AssertDeterministic(Func<Figure> create, Figure first)
    {
        var second = create();
        Assert.Equal(first.Png, second.Png);
        Assert.Equal(first.Svg, second.Svg);
    }

    private static List<string> TextsOf(string svg) =>
        [.. XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim())];

    private static bool Same(SKColor pixel, ScottPlot.Color color) =>
        pixel.Red == color.R && pixel.Green == color.G && pixel.Blue == color.B;

    private static LoadingsGrid Grid((int D, int K, int C)? significantAt)
    {
        string[] dimensions = ["Joy", "Pain", "Awe"];
        string[] concepts = ["Joy", "Pain", "Awe", "Surprise (negative)"];
        var loadings = new double[3, 3, 4];
        var significant = new bool[3, 3, 4];
        for (var d = 0; d < 3; d++)
        {
            for (var k = 0; k < 3; k++)
            {
                for (var c = 0; c < 4; c++)
                {
                    loadings[d, k, c] = (d == c ? 0.8 : 0.1) - (0.05 * k);
                }
            }
        }

        if (significantAt is { } at)
        {
            significant[at.D, at.K, at.C] = true;
        }

        return new LoadingsGrid(dimensions, Countries, concepts, loadings, significant);
    }

    private static DimensionContinuity Continuity(string label, int seed)
    {
        var bins = Enumerable.Range(0, 20)
            .Select(b => b == 7
                ? new ContinuityBin(b * 5, (b * 5) + 5, 0, double.NaN, double.NaN, double.NaN)
                : new ContinuityBin(b * 5, (b * 5) + 5, 10, (b * 5) + 2.5, Math.Max(0, (b * 5) - 10 + seed), Math.Min(100, (b * 5) + 15)))
            .ToArray();
        return new DimensionContinuity(label, bins, 12.34, 45.67, 7.89);
    }

    private static GppcaDimensionPairs[] GppcaInput() =>
    [
        new("Awe", true, [("CN", "ET", 0.001), ("IN", "CN", 0.01), ("ET", "IN", 0.05)]),
        new("Pain", false, [("CN", "ET", 0.02), ("CN", "IN", 0.2), ("ET", "IN", 0.5)]),
    ];

    private static byte[] Solid(int size, byte r, byte g, byte b)
    {
        var pixels = new byte[size * size * 3];
        for (var i = 0; i < pixels.Length; i += 3)
        {
            (pixels[i], pixels[i + 1], pixels[i + 2]) = (r, g, b);
        }

        return pixels;
    }
}
