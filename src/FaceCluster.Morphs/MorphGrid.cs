using System.Runtime.InteropServices;
using System.Text;
using FaceCluster.Analysis;
using SkiaSharp;

namespace FaceCluster.Morphs;

/// <summary>One face of the grid: a dimension's morph in one country, and what to print under it.</summary>
/// <param name="Dimension">The dimension's label (a row of the grid).</param>
/// <param name="Country">The country (a column of the grid).</param>
/// <param name="Morph">The composite, or null when the country has no mimics of the dimension's seeds (an empty cell).</param>
/// <param name="Caption">What the face means there (the country's top concept).</param>
public sealed record MorphCell(string Dimension, string Country, MorphResult? Morph, string Caption);

/// <summary>One PNG of a morph.</summary>
/// <param name="Dimension">The dimension's label.</param>
/// <param name="Country">The country.</param>
/// <param name="FileName">A file name for it: <c>morph_{dimension}_{country}.png</c>, lower-case, other characters turned to <c>_</c>.</param>
/// <param name="Png">The PNG bytes, at the morph's own size.</param>
public sealed record MorphImage(string Dimension, string Country, string FileName, byte[] Png);

/// <summary>The morphs as images.</summary>
/// <param name="Faces">One PNG per cell that has a morph, in row-major grid order.</param>
/// <param name="Grid">The grid PNG: dimensions as rows, countries as columns, each face captioned.</param>
/// <param name="GridWidth">The grid's width in pixels.</param>
/// <param name="GridHeight">The grid's height in pixels.</param>
public sealed record MorphGridImages(IReadOnlyList<MorphImage> Faces, byte[] Grid, int GridWidth, int GridHeight);

/// <summary>Draws dimension faces: each morph as a PNG, and all of them as one grid (text in the report's bundled DejaVu Sans).</summary>
public static class MorphGrid
{
    /// <summary>Pixels around the grid and between cells.</summary>
    public const int Margin = 10;

    /// <summary>Size of the captions' font in pixels.</summary>
    public const float CaptionSize = 12;

    /// <summary>Size of the row and column headings' font in pixels.</summary>
    public const float HeadingSize = 14;

    private static readonly Lazy<SKTypeface> Face = new(
        () => SKTypeface.FromFile(Path.Combine(AppContext.BaseDirectory, "Fonts", "DejaVuSans.ttf"))
            ?? throw new FileNotFoundException($"the bundled font DejaVuSans.ttf is missing from {Path.Combine(AppContext.BaseDirectory, "Fonts")}"),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The morph PNGs and the grid of <paramref name="cells"/>: one row per dimension of <paramref name="dimensions"/>
    /// and one column per country of <paramref name="countries"/>, each face scaled to <paramref name="thumbnail"/>
    /// pixels with its caption under it (cut with an ellipsis to the face's width). A cell without a morph is drawn
    /// grey and captioned "no mimics". The bytes depend only on the arguments.
    /// </summary>
    /// <exception cref="ArgumentException">A cell's dimension or country is not listed, or two cells share a place.</exception>
    public static MorphGridImages Create(IReadOnlyList<string> dimensions, IReadOnlyList<string> countries, IReadOnlyList<MorphCell> cells, int thumbnail = 128)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(countries);
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentOutOfRangeException.ThrowIfLessThan(thumbnail, 16);
        var grid = new MorphCell?[dimensions.Count, countries.Count];
        foreach (var cell in cells)
        {
            var (r, c) = (IndexOf(dimensions, cell.Dimension), IndexOf(countries, cell.Country));
            if (r < 0 || c < 0)
            {
                throw new ArgumentException($"cell ({cell.Dimension}, {cell.Country}) is not in the grid's dimensions and countries", nameof(cells));
            }

            if (grid[r, c] is not null)
            {
                throw new ArgumentException($"two cells for ({cell.Dimension}, {cell.Country})", nameof(cells));
            }

            grid[r, c] = cell;
        }

        var faces = new List<MorphImage>();
        for (var r = 0; r < dimensions.Count; r++)
        {
            for (var c = 0; c < countries.Count; c++)
            {
                if (grid[r, c]?.Morph is { } morph)
                {
                    using var bitmap = ToBitmap(morph.Pixels, morph.Size);
                    faces.Add(new MorphImage(dimensions[r], countries[c], FileName(dimensions[r], countries[c]), EncodePng(bitmap)));
                }
            }
        }

        var rowHeading = (int)Math.Ceiling(dimensions.Select(d => Measure(d, HeadingSize)).DefaultIfEmpty(0).Max()) + Margin;
        var captionHeight = (int)Math.Ceiling(CaptionSize * 1.6);
        var headingHeight = (int)Math.Ceiling(HeadingSize * 1.8);
        var (cellWidth, cellHeight) = (thumbnail + Margin, thumbnail + captionHeight + Margin);
        var width = Margin + rowHeading + (countries.Count * cellWidth);
        var height = Margin + headingHeight + (dimensions.Count * cellHeight);
        using var font = new SKFont(Face.Value, CaptionSize) { Edging = SKFontEdging.Antialias, Subpixel = false };
        using var headingFont = new SKFont(Face.Value, HeadingSize) { Edging = SKFontEdging.Antialias, Subpixel = false };
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var empty = new SKPaint { Color = new SKColor(0xDD, 0xDD, 0xDD) };
        using var full = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(full))
        {
            canvas.Clear(SKColors.White);
            var left = Margin + rowHeading;
            for (var c = 0; c < countries.Count; c++)
            {
                var x = left + (c * cellWidth) + (thumbnail / 2f);
                canvas.DrawText(Fit(countries[c], thumbnail, headingFont), x, Margin + HeadingSize, SKTextAlign.Center, headingFont, ink);
            }

            for (var r = 0; r < dimensions.Count; r++)
            {
                var top = Margin + headingHeight + (r * cellHeight);
                canvas.DrawText(dimensions[r], Margin, top + (thumbnail / 2f) + (HeadingSize * 0.35f), SKTextAlign.Left, headingFont, ink);
                for (var c = 0; c < countries.Count; c++)
                {
                    var x = left + (c * cellWidth);
                    var rect = new SKRect(x, top, x + thumbnail, top + thumbnail);
                    var cell = grid[r, c];
                    if (cell?.Morph is { } morph)
                    {
                        using var bitmap = ToBitmap(morph.Pixels, morph.Size);
                        using var image = SKImage.FromBitmap(bitmap);
                        // Mipmapped linear filtering averages every source pixel a thumbnail pixel covers (no aliasing).
                        canvas.DrawImage(image, rect, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
                    }
                    else
                    {
                        canvas.DrawRect(rect, empty);
                    }

                    var caption = cell?.Morph is null ? "no mimics" : cell.Caption;
                    canvas.DrawText(Fit(caption, thumbnail, font), x + (thumbnail / 2f), top + thumbnail + (CaptionSize * 1.25f), SKTextAlign.Center, font, ink);
                }
            }
        }

        return new MorphGridImages(faces, EncodePng(full), width, height);
    }

    /// <summary>The top concept of each country of <paramref name="meaning"/> (the caption of its face), by country; countries without concepts are left out.</summary>
    public static IReadOnlyDictionary<string, string> TopConcepts(DimensionMeaning meaning)
    {
        ArgumentNullException.ThrowIfNull(meaning);
        return meaning.Countries.Where(c => c.Top.Count > 0).ToDictionary(c => c.Country, c => c.Top[0].Concept, StringComparer.Ordinal);
    }

    /// <summary>The PNG of one morph at its own size (the bytes of <see cref="Create"/>'s faces).</summary>
    public static byte[] EncodePng(MorphResult morph)
    {
        ArgumentNullException.ThrowIfNull(morph);
        using var bitmap = ToBitmap(morph.Pixels, morph.Size);
        return EncodePng(bitmap);
    }

    /// <summary><c>morph_{dimension}_{country}.png</c>, lower-case letters and digits kept, anything else turned to <c>_</c>.</summary>
    public static string FileName(string dimension, string country)
    {
        ArgumentNullException.ThrowIfNull(dimension);
        ArgumentNullException.ThrowIfNull(country);
        var name = new StringBuilder("morph_");
        foreach (var ch in $"{dimension}_{country}".ToLowerInvariant())
        {
            name.Append(ch is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? ch : '_');
        }

        return name.Append(".png").ToString();
    }

    /// <summary>An opaque bitmap of an RGB (HWC) square image.</summary>
    internal static SKBitmap ToBitmap(byte[] rgb, int size)
    {
        var rgba = new byte[size * size * 4];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            (rgba[j], rgba[j + 1], rgba[j + 2], rgba[j + 3]) = (rgb[i], rgb[i + 1], rgb[i + 2], 255);
        }

        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    /// <summary>PNG bytes (lossless, compressed hardest; same pixels, same bytes).</summary>
    internal static byte[] EncodePng(SKBitmap bitmap)
    {
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap?.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 9));
        return data?.ToArray() ?? throw new InvalidOperationException("SkiaSharp could not encode the morph as PNG");
    }

    private static float Measure(string text, float size)
    {
        using var font = new SKFont(Face.Value, size);
        return font.MeasureText(text);
    }

    /// <summary>The text cut with an ellipsis to <paramref name="width"/> pixels.</summary>
    private static string Fit(string text, float width, SKFont font)
    {
        if (font.MeasureText(text) <= width)
        {
            return text;
        }

        var cut = text.Length;
        while (cut > 1 && font.MeasureText(string.Concat(text.AsSpan(0, cut), "…")) > width)
        {
            cut--;
        }

        return text[..cut].TrimEnd() + "…";
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
