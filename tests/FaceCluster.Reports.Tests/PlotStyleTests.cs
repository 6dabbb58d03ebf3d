using SkiaSharp;

namespace FaceCluster.Reports.Tests;

public sealed class PlotStyleTests
{
    [Fact]
    public void A_figure_draws_its_text_with_the_bundled_font()
    {
        // Without the bundled font SkiaSharp's dependency-free assets draw no glyph at all: an axis with tick labels
        // then has no dark pixels left of the data area. With it, the labels are there.
        var plot = PlotStyle.NewPlot();
        plot.Add.Scatter(new double[] { 0, 1 }, new double[] { 0, 1 });
        plot.Axes.Left.Label.Text = "Human rating percentile";
        var figure = PlotStyle.Render(plot, "probe", "Probe", "A probe.", 400, 300);

        using var bitmap = SKBitmap.Decode(figure.Png);
        Assert.Equal(400, bitmap.Width);
        var darkInLabelStrip = 0;
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < 20; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                darkInLabelStrip += pixel.Red + pixel.Green + pixel.Blue < 200 ? 1 : 0;
            }
        }

        Assert.True(darkInLabelStrip > 50, $"only {darkInLabelStrip} dark pixels where the axis label is drawn");
        Assert.Contains("Human rating percentile", figure.Svg, StringComparison.Ordinal);
        Assert.Contains(PlotStyle.FontName, figure.Svg, StringComparison.Ordinal);
    }

    [Fact]
    public void The_paper_s_28_dimensions_get_28_colours()
    {
        var colours = Enumerable.Range(0, 28).Select(PlotStyle.DimensionColor).Select(c => c.ToHex()).ToArray();
        Assert.Equal(28, colours.Distinct().Count());
    }
}
