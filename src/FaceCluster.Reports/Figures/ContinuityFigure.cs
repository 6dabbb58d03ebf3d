using FaceCluster.Analysis;
using ScottPlot;

namespace FaceCluster.Reports;

/// <summary>
/// The paper's Figure 4B as small multiples: per dimension, the human-score percentile against the DNN-score
/// percentile (median and interquartile band per bin) with the diagonal a perfectly continuous dimension would follow.
/// </summary>
public static class ContinuityFigure
{
    /// <summary>The figure's file name.</summary>
    public const string Name = "continuity";

    /// <summary>Panels per row.</summary>
    public const int Columns = 7;

    /// <summary>Width of one panel in pixels.</summary>
    public const int PanelWidth = 250;

    /// <summary>Height of one panel in pixels.</summary>
    public const int PanelHeight = 230;

    /// <summary>Pixels above the panels (the heading).</summary>
    public const int Top = 50;

    /// <summary>Pixels left of the panels (the shared y label).</summary>
    public const int Left = 30;

    /// <summary>Colour of the median line and (lighter) of the interquartile band.</summary>
    public static readonly Color CurveColor = new(0x1F, 0x77, 0xB4);

    /// <summary>Draws one panel per dimension of <paramref name="dimensions"/>, <see cref="Columns"/> to a row.</summary>
    public static Figure Create(IReadOnlyList<DimensionContinuity> dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        var rows = Math.Max(1, (dimensions.Count + Columns - 1) / Columns);
        var columns = Math.Clamp(dimensions.Count, 1, Columns);
        var width = Left + (columns * PanelWidth) + 10;
        var height = Top + (rows * PanelHeight) + 30;
        var plots = new List<PlacedPlot>(dimensions.Count);
        for (var i = 0; i < dimensions.Count; i++)
        {
            plots.Add(new PlacedPlot(Panel(dimensions[i]), Left + (i % Columns * PanelWidth), Top + (i / Columns * PanelHeight), PanelWidth, PanelHeight));
        }

        const string title = "Continuity of the dimensions";
        PlacedText[] texts =
        [
            new(title, width / 2f, 30, 20),
            new("DNN-score percentile", width / 2f, height - 10, 15),
            new("Human-score percentile", 20, Top + (rows * PanelHeight / 2f), 15, Rotation: -90),
        ];
        const string caption =
            "Per dimension, seeds binned by the percentile of their DNN score (20 bins): the line is the median percentile of their " +
            "human score, the band its interquartile range, the dashed diagonal perfect agreement; σ is the standard deviation of " +
            "the human-score percentiles around the 25th, 50th and 75th DNN-score percentile.";
        return FigureKit.Compose(Name, title, caption, width, height, plots, texts);
    }

    private static Plot Panel(DimensionContinuity dimension)
    {
        var plot = PlotStyle.NewPlot();
        var diagonal = plot.Add.Line(0, 0, 100, 100);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LineWidth = 1;

        // An empty bin has no median: the curve breaks there rather than bridging it.
        var run = new List<ContinuityBin>();
        foreach (var bin in dimension.Bins.Append(null))
        {
            if (bin is not null && bin.Count > 0 && double.IsFinite(bin.Median))
            {
                run.Add(bin);
                continue;
            }

            AddRun(plot, run);
            run.Clear();
        }

        plot.Axes.SetLimits(0, 100, 0, 100);
        var ticks = new ScottPlot.TickGenerators.NumericManual([0, 50, 100], ["0", "50", "100"]);
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([0, 50, 100], ["0", "50", "100"]);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 11;
        plot.Axes.Left.TickLabelStyle.FontSize = 11;
        plot.Axes.Title.Label.Text =
            $"{dimension.Label}\nσ {Spread(dimension.SpreadAt25)} · {Spread(dimension.SpreadAt50)} · {Spread(dimension.SpreadAt75)}";
        plot.Axes.Title.Label.FontSize = 13;
        plot.Axes.Title.Label.Bold = false;
        return plot;
    }

    private static void AddRun(Plot plot, List<ContinuityBin> run)
    {
        if (run.Count == 0)
        {
            return;
        }

        var centres = run.Select(b => (b.From + b.To) / 2).ToArray();
        var band = plot.Add.FillY(centres, run.Select(b => b.Upper).ToArray(), run.Select(b => b.Lower).ToArray());
        band.FillColor = CurveColor.WithAlpha(0.25);
        band.LineWidth = 0;
        var median = plot.Add.ScatterLine(centres, run.Select(b => b.Median).ToArray(), CurveColor);
        median.LineWidth = 2;
        median.MarkerSize = run.Count == 1 ? 5 : 0;
    }

    private static string Spread(double value) => double.IsFinite(value) ? FigureKit.Format(value, "0.0") : "–";
}
