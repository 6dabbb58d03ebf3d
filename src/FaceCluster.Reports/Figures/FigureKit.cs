using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ScottPlot;
using SkiaSharp;

namespace FaceCluster.Reports;

/// <summary>One ScottPlot plot placed at (<see cref="X"/>, <see cref="Y"/>) of a composed figure, in pixels.</summary>
internal sealed record PlacedPlot(Plot Plot, int X, int Y, int Width, int Height);

/// <summary>One line of text drawn straight onto a composed figure (a heading, a shared axis label).</summary>
internal sealed record PlacedText(string Text, float X, float Y, float Size, bool Bold = false, float Rotation = 0, SKTextAlign Align = SKTextAlign.Center);

/// <summary>
/// What the figures share beyond <see cref="PlotStyle"/>: checked names, the bundled typeface for SkiaSharp drawing,
/// and the composition of several plots into one PNG (one canvas) and one SVG (nested <c>svg</c> elements).
/// </summary>
internal static partial class FigureKit
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly XNamespace XLink = "http://www.w3.org/1999/xlink";

    private static readonly Lazy<SKTypeface> RegularFace = new(() => LoadFace("DejaVuSans.ttf"), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<SKTypeface> BoldFace = new(() => LoadFace("DejaVuSans-Bold.ttf"), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The bundled typeface; SkiaSharp's dependency-free assets have no system font to fall back on.</summary>
    public static SKTypeface Typeface(bool bold = false) => bold ? BoldFace.Value : RegularFace.Value;

    /// <summary>Throws unless <paramref name="name"/> is usable as a file name everywhere (<c>[a-z0-9_]+</c>).</summary>
    public static string CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!FileSafe().IsMatch(name))
        {
            throw new ArgumentException($"figure name '{name}' is not of the form [a-z0-9_]+", nameof(name));
        }

        return name;
    }

    /// <summary>Formats a number for labels, independent of the culture.</summary>
    public static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Composes <paramref name="plots"/> and <paramref name="texts"/> onto one white <paramref name="width"/> x <paramref name="height"/> figure.</summary>
    public static Figure Compose(
        string name, string title, string caption, int width, int height, IReadOnlyList<PlacedPlot> plots, IReadOnlyList<PlacedText> texts)
    {
        var png = ComposePng(width, height, plots, texts);
        var svg = NewSvg(width, height);
        for (var i = 0; i < plots.Count; i++)
        {
            var p = plots[i];
            var panel = XElement.Parse(p.Plot.GetSvgXml(p.Width, p.Height));
            // Every panel's SVG numbers its clip paths and images from zero: prefix them so the ids stay unique in one document.
            PrefixIds(panel, $"p{i}_");
            panel.SetAttributeValue("x", p.X);
            panel.SetAttributeValue("y", p.Y);
            svg.Add(panel);
        }

        foreach (var t in texts)
        {
            svg.Add(SvgText(t));
        }

        RenumberIds(svg);
        return new Figure(name, title, caption, png, ToText(svg));
    }

    /// <summary>A new empty SVG root with a white background.</summary>
    public static XElement NewSvg(int width, int height) =>
        new(
            Svg + "svg",
            new XAttribute(XNamespace.Xmlns + "xlink", XLink.NamespaceName),
            new XAttribute("width", width),
            new XAttribute("height", height),
            new XAttribute("viewBox", $"0 0 {width} {height}"),
            new XElement(Svg + "rect", new XAttribute("fill", "white"), new XAttribute("width", width), new XAttribute("height", height)));

    /// <summary>An SVG <c>text</c> element drawn like <see cref="DrawText"/> draws it.</summary>
    public static XElement SvgText(PlacedText t)
    {
        var anchor = t.Align switch { SKTextAlign.Left => "start", SKTextAlign.Right => "end", _ => "middle" };
        var element = new XElement(
            Svg + "text",
            new XAttribute("x", Format(t.X, "0.##")),
            new XAttribute("y", Format(t.Y, "0.##")),
            new XAttribute("font-family", PlotStyle.FontName),
            new XAttribute("font-size", Format(t.Size, "0.##")),
            new XAttribute("text-anchor", anchor),
            t.Text);
        if (t.Bold)
        {
            element.SetAttributeValue("font-weight", "bold");
        }

        if (t.Rotation != 0)
        {
            element.SetAttributeValue("transform", $"rotate({Format(t.Rotation, "0.##")} {Format(t.X, "0.##")} {Format(t.Y, "0.##")})");
        }

        return element;
    }

    /// <summary>Draws one line of text with the bundled font, its baseline at (<see cref="PlacedText.X"/>, <see cref="PlacedText.Y"/>).</summary>
    public static void DrawText(SKCanvas canvas, PlacedText t)
    {
        using var font = new SKFont(Typeface(t.Bold), t.Size) { Edging = SKFontEdging.Antialias, Subpixel = false };
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.Save();
        canvas.RotateDegrees(t.Rotation, t.X, t.Y);
        canvas.DrawText(t.Text, t.X, t.Y, t.Align, font, paint);
        canvas.Restore();
    }

    /// <summary>Width of <paramref name="text"/> in pixels at <paramref name="size"/>.</summary>
    public static float MeasureText(string text, float size, bool bold = false)
    {
        using var font = new SKFont(Typeface(bold), size);
        return font.MeasureText(text);
    }

    /// <summary>The SVG as text, without an XML declaration (it is embedded in HTML as well as written as a file).</summary>
    public static string ToText(XElement svg) => svg.ToString(SaveOptions.DisableFormatting);

    /// <summary><paramref name="svg"/> with its ids renumbered in document order (see <see cref="RenumberIds"/>).</summary>
    public static string CanonicalSvg(string svg)
    {
        var root = XElement.Parse(svg);
        RenumberIds(root);
        return ToText(root);
    }

    /// <summary>
    /// Renames every id to <c>i0</c>, <c>i1</c>, ... in document order and follows the references to them. SkiaSharp's SVG
    /// canvas numbers clip paths and images from a counter shared by the whole process, so the same plot drawn twice
    /// would otherwise differ in its ids.
    /// </summary>
    public static void RenumberIds(XElement root)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in root.DescendantsAndSelf().Attributes("id"))
        {
            var renamed = "i" + map.Count.ToString(CultureInfo.InvariantCulture);
            map[id.Value] = renamed;
            id.Value = renamed;
        }

        foreach (var attribute in root.DescendantsAndSelf().Attributes())
        {
            if (attribute.Value.Contains("url(#", StringComparison.Ordinal))
            {
                attribute.Value = UrlReference().Replace(attribute.Value, m => $"url(#{map.GetValueOrDefault(m.Groups[1].Value, m.Groups[1].Value)})");
            }
            else if ((attribute.Name == XLink + "href" || attribute.Name == "href") && attribute.Value.StartsWith('#'))
            {
                attribute.Value = "#" + map.GetValueOrDefault(attribute.Value[1..], attribute.Value[1..]);
            }
        }
    }

    /// <summary>
    /// Asks viewers not to smooth the embedded bitmaps of a heatmap: a heatmap's cells are a few pixels of a small image
    /// scaled up, and smoothing would blur the cells into each other.
    /// </summary>
    public static string CrispImages(string svg)
    {
        var root = XElement.Parse(svg);
        foreach (var image in root.Descendants(Svg + "image"))
        {
            image.SetAttributeValue("style", "image-rendering:pixelated");
        }

        return ToText(root);
    }

    /// <summary>PNG bytes of <paramref name="bitmap"/>, compressed hardest (lossless; same pixels, same bytes).</summary>
    public static byte[] EncodePng(SKBitmap bitmap)
    {
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap?.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 9));
        return data?.ToArray() ?? throw new InvalidOperationException("SkiaSharp could not encode the figure as PNG");
    }

    private static byte[] ComposePng(int width, int height, IReadOnlyList<PlacedPlot> plots, IReadOnlyList<PlacedText> texts)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            foreach (var p in plots)
            {
                canvas.Save();
                canvas.Translate(p.X, p.Y);
                canvas.ClipRect(new SKRect(0, 0, p.Width, p.Height));
                p.Plot.Render(canvas, p.Width, p.Height);
                canvas.Restore();
            }

            foreach (var t in texts)
            {
                DrawText(canvas, t);
            }
        }

        return EncodePng(bitmap);
    }

    private static void PrefixIds(XElement root, string prefix)
    {
        foreach (var element in root.DescendantsAndSelf())
        {
            foreach (var attribute in element.Attributes())
            {
                if (attribute.Name == "id")
                {
                    attribute.Value = prefix + attribute.Value;
                }
                else if (attribute.Value.Contains("url(#", StringComparison.Ordinal))
                {
                    attribute.Value = attribute.Value.Replace("url(#", "url(#" + prefix, StringComparison.Ordinal);
                }
                else if ((attribute.Name == XLink + "href" || attribute.Name == "href") && attribute.Value.StartsWith('#'))
                {
                    attribute.Value = "#" + prefix + attribute.Value[1..];
                }
            }
        }
    }

    private static SKTypeface LoadFace(string file) =>
        SKTypeface.FromFile(Path.Combine(AppContext.BaseDirectory, "Fonts", file))
        ?? throw new FileNotFoundException($"the bundled font {file} is missing from {AppContext.BaseDirectory}Fonts");

    [GeneratedRegex(@"url\(#([^)]+)\)")]
    private static partial Regex UrlReference();

    [GeneratedRegex("^[a-z0-9_]+$")]
    private static partial Regex FileSafe();
}
