using ScottPlot;

namespace FaceCluster.Reports;

/// <summary>
/// What every figure shares: the bundled font (SkiaSharp's dependency-free Linux assets see no system fonts, so text
/// would not be drawn at all), the palette of dimensions, and the rendering of a ScottPlot plot into a <see cref="Figure"/>.
/// </summary>
public static class PlotStyle
{
    /// <summary>The font family every figure uses (DejaVu Sans, bundled under <c>Fonts/</c>).</summary>
    public const string FontName = "DejaVu Sans";

    private static readonly Lazy<bool> FontsRegistered = new(RegisterFonts, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A new plot with the report's font and a white background.</summary>
    public static Plot NewPlot()
    {
        _ = FontsRegistered.Value;
        var plot = new Plot();
        plot.Font.Set(FontName);
        return plot;
    }

    /// <summary>Colour of dimension <paramref name="index"/> (a categorical palette wide enough for 28 and more).</summary>
    public static Color DimensionColor(int index)
    {
        // Category20 for the first 20; beyond it (the paper has 28) hues by the golden angle at a darker lightness,
        // so that no two dimensions share a colour.
        var palette = new ScottPlot.Palettes.Category20();
        return index < palette.Colors.Length
            ? palette.GetColor(index)
            : Color.FromHSL((float)((index - palette.Colors.Length) * 0.381966 % 1.0), 0.65f, 0.32f);
    }

    /// <summary>Renders <paramref name="plot"/> at <paramref name="width"/> x <paramref name="height"/> into a figure.</summary>
    public static Figure Render(Plot plot, string name, string title, string caption, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(plot);
        var png = plot.GetImageBytes(width, height, ImageFormat.Png);
        // Canonical ids: SkiaSharp numbers them from a process-wide counter, and a figure must not depend on what was drawn before it.
        var svg = FigureKit.CanonicalSvg(plot.GetSvgXml(width, height));
        return new Figure(name, title, caption, png, svg);
    }

    private static bool RegisterFonts()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Fonts");
        Fonts.AddFontFile(FontName, Path.Combine(folder, "DejaVuSans.ttf"), bold: false, italic: false);
        Fonts.AddFontFile(FontName, Path.Combine(folder, "DejaVuSans-Bold.ttf"), bold: true, italic: false);
        Fonts.Default = FontName;
        return true;
    }
}
