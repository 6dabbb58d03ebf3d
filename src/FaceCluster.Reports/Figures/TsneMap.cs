using ScottPlot;

namespace FaceCluster.Reports;

/// <summary>
/// The paper's Figure 4A: a t-SNE map of the seeds, each point coloured by the dimension it scores highest on.
/// </summary>
public static class TsneMap
{
    /// <summary>Draws the map of <paramref name="x"/>, <paramref name="y"/> coloured by <paramref name="dominant"/>.</summary>
    /// <param name="name">The figure's file name (<c>[a-z0-9_]+</c>).</param>
    /// <param name="title">What the report heads it with (also the plot's title).</param>
    /// <param name="x">First t-SNE coordinate of every seed.</param>
    /// <param name="y">Second t-SNE coordinate, same order.</param>
    /// <param name="dominant">Index into <paramref name="dimensionLabels"/> of every seed's dominant dimension.</param>
    /// <param name="dimensionLabels">Labels of the dimensions; dimension i is drawn in <see cref="PlotStyle.DimensionColor"/>(i).</param>
    /// <exception cref="ArgumentException">The arrays differ in length or a dominant index is out of range.</exception>
    public static Figure Create(string name, string title, double[] x, double[] y, int[] dominant, IReadOnlyList<string> dimensionLabels)
    {
        FigureKit.CheckName(name);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(dominant);
        ArgumentNullException.ThrowIfNull(dimensionLabels);
        if (x.Length != y.Length || x.Length != dominant.Length)
        {
            throw new ArgumentException($"x, y and dominant differ in length ({x.Length}, {y.Length}, {dominant.Length})", nameof(dominant));
        }

        var bad = Array.FindIndex(dominant, d => d < 0 || d >= dimensionLabels.Count);
        if (bad >= 0)
        {
            throw new ArgumentException($"seed {bad} has dominant dimension {dominant[bad]}, outside 0..{dimensionLabels.Count - 1}", nameof(dominant));
        }

        var plot = PlotStyle.NewPlot();
        // One plottable per dimension (in label order) gives one legend entry each and keeps thousands of points cheap.
        for (var d = 0; d < dimensionLabels.Count; d++)
        {
            var members = Enumerable.Range(0, dominant.Length).Where(i => dominant[i] == d).ToArray();
            if (members.Length == 0)
            {
                continue;
            }

            var scatter = plot.Add.ScatterPoints(
                members.Select(i => x[i]).ToArray(), members.Select(i => y[i]).ToArray(), PlotStyle.DimensionColor(d).WithAlpha(0.8));
            scatter.MarkerSize = 5;
            scatter.MarkerShape = MarkerShape.FilledCircle;
            scatter.LegendText = dimensionLabels[d];
        }

        // t-SNE coordinates have no units: the axes keep their frame and names but no numbers.
        plot.Axes.Bottom.TickLabelStyle.IsVisible = false;
        plot.Axes.Left.TickLabelStyle.IsVisible = false;
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.MinorTickStyle.Length = 0;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Left.MinorTickStyle.Length = 0;
        plot.HideGrid();
        plot.XLabel("t-SNE 1");
        plot.YLabel("t-SNE 2");
        plot.Title(title);
        var legend = plot.ShowLegend(Edge.Right);
        legend.Legend.FontSize = 12;

        var caption =
            $"Each of the {x.Length} points is a seed face, placed by t-SNE of its scores and coloured by its dominant dimension; " +
            "t-SNE axes have no units, and only neighbourhoods are meaningful.";
        return PlotStyle.Render(plot, name, title, caption, 1300, 1000);
    }
}
