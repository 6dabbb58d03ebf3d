using ScottPlot;

namespace FaceCluster.Reports;

/// <summary>
/// The paper's Figure S4: how well the DNN preserves the people's dimensions, as the correlation of DNN-predicted and
/// human scores per dimension and per country, against the overall correlation.
/// </summary>
public static class PreservationFigure
{
    /// <summary>The figure's file name.</summary>
    public const string Name = "preservation";

    /// <summary>Colour of the reference line at the overall correlation.</summary>
    public static readonly Color ReferenceColor = new(0xD6, 0x27, 0x28);

    /// <summary>Colour of the per-country bars.</summary>
    public static readonly Color CountryColor = new(0x44, 0x77, 0xAA);

    /// <summary>Draws the per-dimension and per-country correlations side by side.</summary>
    /// <param name="r">The overall correlation.</param>
    /// <param name="r2">Its square (or the variance explained the run reports).</param>
    /// <param name="perDimension">Correlation per dimension, in the order to draw them.</param>
    /// <param name="perCountry">Correlation per country, in the order to draw them.</param>
    public static Figure Create(double r, double r2, IReadOnlyList<(string Label, double R)> perDimension, IReadOnlyList<(string Country, double R)> perCountry)
    {
        ArgumentNullException.ThrowIfNull(perDimension);
        ArgumentNullException.ThrowIfNull(perCountry);
        var dimensionWidth = Math.Max(420, 120 + (32 * perDimension.Count));
        var countryWidth = Math.Max(260, 120 + (50 * perCountry.Count));
        const int top = 50;
        const int panelHeight = 520;
        var dimensionPlot = Panel(
            "Per dimension", [.. perDimension.Select(p => p.Label)], [.. perDimension.Select(p => p.R)], r, i => PlotStyle.DimensionColor(i), 45);
        var countryPlot = Panel("Per country", [.. perCountry.Select(p => p.Country)], [.. perCountry.Select(p => p.R)], r, _ => CountryColor, 0);
        var title = $"Preservation of the dimensions: r = {FigureKit.Format(r, "0.000")}, r² = {FigureKit.Format(r2, "0.000")}";
        var width = dimensionWidth + countryWidth;
        PlacedPlot[] plots =
        [
            new(dimensionPlot, 0, top, dimensionWidth, panelHeight),
            new(countryPlot, dimensionWidth, top, countryWidth, panelHeight),
        ];
        PlacedText[] texts = [new(title, width / 2f, 32, 20)];
        const string caption =
            "Correlation of the DNN-predicted and the human scores of the held-out seeds, per dimension (left) and per country (right); " +
            "the dashed line marks the overall correlation.";
        return FigureKit.Compose(Name, title, caption, width, top + panelHeight, plots, texts);
    }

    private static Plot Panel(string heading, string[] labels, double[] values, double overall, Func<int, Color> color, float labelAngle)
    {
        var plot = PlotStyle.NewPlot();
        var bars = new List<Bar>(values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            bars.Add(new Bar { Position = i, Value = values[i], FillColor = color(i), LineWidth = 0, Size = 0.75 });
        }

        plot.Add.Bars(bars);
        // The reference line is named in the panel's title: a legend inside the data area would hide bars.
        plot.Add.HorizontalLine(overall, 1.5f, ReferenceColor, LinePattern.Dashed);

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. Enumerable.Range(0, labels.Length).Select(i => (double)i)], labels);
        plot.Axes.Bottom.MajorTickStyle.Length = 3;
        if (labelAngle != 0)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = labelAngle;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            // ScottPlot sizes the axis for horizontal labels; slanted ones need the room their slant takes.
            var longest = labels.Length == 0 ? 0 : labels.Max(l => FigureKit.MeasureText(l, 12));
            plot.Axes.Bottom.MinimumSize = (float)Math.Ceiling((longest * Math.Sin(labelAngle * Math.PI / 180)) + 20);
            plot.Axes.Right.MinimumSize = (float)Math.Ceiling(longest * Math.Cos(labelAngle * Math.PI / 180) * 0.8);
        }

        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        // Correlations live in [-1, 1]; the axis shows zero and the whole of every bar.
        var lowest = Math.Min(0, values.Length == 0 ? 0 : values.Min());
        var highest = Math.Max(Math.Max(overall, 0), values.Length == 0 ? 0 : values.Max());
        plot.Axes.SetLimits(-0.6, labels.Length - 0.4, Math.Min(lowest - 0.05, 0), Math.Min(1, highest + 0.1));
        plot.YLabel("Correlation r");
        plot.Title($"{heading} (dashed: overall r = {FigureKit.Format(overall, "0.00")})");
        plot.Axes.Title.Label.FontSize = 15;
        return plot;
    }
}
