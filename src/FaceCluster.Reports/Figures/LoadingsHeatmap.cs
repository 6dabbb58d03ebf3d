using ScottPlot;

namespace FaceCluster.Reports;

/// <summary>The loadings of every dimension on every concept in every country (indices <c>[dimension, country, concept]</c>).</summary>
/// <param name="Dimensions">Labels of the dimensions, the rows of the figure, top first.</param>
/// <param name="Countries">The countries, in the order of their stripes within a cell.</param>
/// <param name="Concepts">The concepts, the columns of the figure.</param>
/// <param name="Loadings">The loading of dimension d on concept c in country k at <c>[d, k, c]</c>; NaN where there is none.</param>
/// <param name="Significant">Whether that loading is significant (its stripe is outlined).</param>
public sealed record LoadingsGrid(
    IReadOnlyList<string> Dimensions,
    IReadOnlyList<string> Countries,
    IReadOnlyList<string> Concepts,
    double[,,] Loadings,
    bool[,,] Significant);

/// <summary>
/// The paper's Figure 2: dimensions (rows) by concepts (columns), each cell split into one thin vertical stripe per
/// country, coloured on a diverging scale centred at zero; significant stripes are outlined.
/// </summary>
public static class LoadingsHeatmap
{
    /// <summary>The figure's file name.</summary>
    public const string Name = "loadings_heatmap";

    /// <summary>Pixels per concept column (the stripes of all countries plus a gap).</summary>
    public const int ConceptWidth = 36;

    /// <summary>Pixels per dimension row.</summary>
    public const int RowHeight = 22;

    /// <summary>Clockwise rotation of the concept labels, in degrees.</summary>
    private const float LabelAngle = 50;

    /// <summary>Colour of the outline of a significant stripe.</summary>
    public static readonly Color OutlineColor = Colors.Black;

    /// <summary>Draws the heatmap of <paramref name="grid"/>.</summary>
    /// <exception cref="ArgumentException">The arrays' shapes do not match the labels.</exception>
    public static Figure Create(LoadingsGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var (dims, countries, concepts) = (grid.Dimensions.Count, grid.Countries.Count, grid.Concepts.Count);
        CheckShape(grid.Loadings.GetLength(0), grid.Loadings.GetLength(1), grid.Loadings.GetLength(2), nameof(grid.Loadings));
        CheckShape(grid.Significant.GetLength(0), grid.Significant.GetLength(1), grid.Significant.GetLength(2), nameof(grid.Significant));
        if (dims == 0 || countries == 0 || concepts == 0)
        {
            throw new ArgumentException("the loadings grid is empty", nameof(grid));
        }

        // One heatmap column per stripe plus an empty (NaN, white) column after each concept, so the cells stand apart.
        var perConcept = countries + 1;
        var intensities = new double[dims, concepts * perConcept];
        var largest = 0.0;
        for (var d = 0; d < dims; d++)
        {
            for (var c = 0; c < concepts; c++)
            {
                for (var k = 0; k < countries; k++)
                {
                    var value = grid.Loadings[d, k, c];
                    intensities[d, (c * perConcept) + k] = value;
                    largest = double.IsFinite(value) ? Math.Max(largest, Math.Abs(value)) : largest;
                }

                intensities[d, (c * perConcept) + countries] = double.NaN;
            }
        }

        // Symmetric limits keep white at exactly zero; a grid of zeros still needs a non-empty range.
        var limit = largest > 0 ? largest : 1;
        var plot = PlotStyle.NewPlot();
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Balance();
        heatmap.ManualRange = new ScottPlot.Range(-limit, limit);
        heatmap.NaNCellColor = Colors.White;
        heatmap.Rectangle = new CoordinateRect(0, concepts, 0, dims);
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "Loading";

        var stripe = 1.0 / perConcept;
        for (var d = 0; d < dims; d++)
        {
            var top = dims - d;
            for (var c = 0; c < concepts; c++)
            {
                for (var k = 0; k < countries; k++)
                {
                    if (grid.Significant[d, k, c])
                    {
                        var left = c + (k * stripe);
                        var outline = plot.Add.Rectangle(left, left + stripe, top - 1, top);
                        outline.FillColor = Colors.Transparent;
                        outline.LineColor = OutlineColor;
                        outline.LineWidth = 1;
                    }
                }
            }
        }

        // Thin white rules between the rows, drawn over the stripes, so a row reads as one dimension.
        for (var d = 1; d < dims; d++)
        {
            plot.Add.HorizontalLine(d, 2, Colors.White);
        }

        var xTicks = new ScottPlot.TickGenerators.NumericManual();
        for (var c = 0; c < concepts; c++)
        {
            xTicks.AddMajor(c + (countries * stripe / 2), grid.Concepts[c]);
        }

        plot.Axes.Bottom.TickGenerator = xTicks;
        plot.Axes.Bottom.TickLabelStyle.Rotation = LabelAngle;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Bottom.MajorTickStyle.Length = 3;
        // ScottPlot sizes the axis for horizontal labels; rotated ones need the room their slant takes.
        var slant = Math.Sin(LabelAngle * Math.PI / 180);
        var longestConcept = grid.Concepts.Max(c => FigureKit.MeasureText(c, 13));
        plot.Axes.Bottom.MinimumSize = (float)Math.Ceiling((longestConcept * slant) + 20);

        var yTicks = new ScottPlot.TickGenerators.NumericManual();
        for (var d = 0; d < dims; d++)
        {
            yTicks.AddMajor(dims - d - 0.5, grid.Dimensions[d]);
        }

        plot.Axes.Left.TickGenerator = yTicks;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.MajorTickStyle.Length = 3;
        plot.Axes.SetLimits(0, concepts, 0, dims);
        plot.HideGrid();
        plot.Title("Loadings of the dimensions on the concepts, by country");

        var width = 200 + (ConceptWidth * concepts) + 110;
        var height = 90 + (RowHeight * dims) + (int)plot.Axes.Bottom.MinimumSize;
        var order = string.Join(", ", grid.Countries);
        var caption =
            $"Rows are dimensions, columns concepts; each cell holds one stripe per country, left to right: {order}. " +
            "Colour is the loading (blue negative, red positive, white zero); outlined stripes are significant.";
        var figure = PlotStyle.Render(plot, Name, "Loadings by dimension, concept and country", caption, width, height);
        return figure with { Svg = FigureKit.CrispImages(figure.Svg) };

        void CheckShape(int d, int k, int c, string what)
        {
            if (d != dims || k != countries || c != concepts)
            {
                throw new ArgumentException(
                    $"{what} has shape [{d}, {k}, {c}], the labels ask for [{dims}, {countries}, {concepts}]", nameof(grid));
            }
        }
    }
}
