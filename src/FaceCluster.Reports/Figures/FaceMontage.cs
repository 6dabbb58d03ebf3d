using System.Runtime.InteropServices;
using System.Xml.Linq;
using SkiaSharp;

namespace FaceCluster.Reports;

/// <summary>One row of a montage: a seed face and the mimics of it.</summary>
/// <param name="Caption">What the row is (the seed's id and score, say).</param>
/// <param name="SeedPixels">The seed's crop, <paramref name="Size"/> x <paramref name="Size"/> x 3 bytes, rows of RGB pixels.</param>
/// <param name="MimicPixels">The mimics' crops, in the same layout.</param>
/// <param name="Size">The crops' side in pixels.</param>
public sealed record MontageRow(string Caption, byte[] SeedPixels, IReadOnlyList<byte[]> MimicPixels, int Size = 160);

/// <summary>A montage of faces: one row per seed, the seed first and its mimics after it, each row captioned on its left.</summary>
public static class FaceMontage
{
    /// <summary>Pixels between thumbnails.</summary>
    public const int Gap = 4;

    /// <summary>Extra pixels between the seed and its first mimic.</summary>
    public const int SeedGap = 12;

    /// <summary>Pixels around the whole montage.</summary>
    public const int Margin = 10;

    /// <summary>Size of the captions' font in pixels.</summary>
    public const float CaptionSize = 13;

    /// <summary>Height of the heading band.</summary>
    public const int HeadingHeight = 34;

    /// <summary>Bits kept per colour channel of the faces.</summary>
    public const int ColourBits = 5;

    /// <summary>Widest a caption column gets; longer captions are cut with an ellipsis.</summary>
    public const int MaxCaptionWidth = 260;

    /// <summary>Draws the montage of <paramref name="rows"/>, every face scaled to <paramref name="thumbnail"/> pixels.</summary>
    /// <param name="name">The figure's file name (<c>[a-z0-9_]+</c>).</param>
    /// <param name="title">What the report heads it with (also drawn above the faces).</param>
    /// <param name="rows">The rows, top first.</param>
    /// <param name="thumbnail">Side of a drawn face in pixels.</param>
    /// <exception cref="ArgumentException">A crop's byte count is not <c>Size * Size * 3</c>.</exception>
    public static Figure Create(string name, string title, IReadOnlyList<MontageRow> rows, int thumbnail = 64)
    {
        FigureKit.CheckName(name);
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(thumbnail, 8);

        var captions = rows.Select(r => Fit(r.Caption)).ToArray();
        var captionWidth = (int)Math.Ceiling(captions.Select(c => FigureKit.MeasureText(c, CaptionSize)).DefaultIfEmpty(0).Max()) + 12;
        var mostMimics = rows.Select(r => r.MimicPixels.Count).DefaultIfEmpty(0).Max();
        var facesLeft = Margin + captionWidth;
        var facesWidth = thumbnail + (mostMimics > 0 ? SeedGap + (mostMimics * (thumbnail + Gap)) - Gap : 0);
        var width = Math.Max(facesLeft + facesWidth + Margin, (int)FigureKit.MeasureText(title, 16, bold: true) + (2 * Margin));
        var height = HeadingHeight + (rows.Count * (thumbnail + Gap)) + Margin;

        // Faces only (for the SVG, whose captions are text) and faces with captions (the PNG) come from one drawing.
        using var faces = new SKBitmap(new SKImageInfo(facesWidth, Math.Max(1, rows.Count * (thumbnail + Gap)), SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(faces))
        {
            canvas.Clear(SKColors.White);
            for (var r = 0; r < rows.Count; r++)
            {
                var row = rows[r];
                var y = r * (thumbnail + Gap);
                DrawFace(canvas, row.SeedPixels, row.Size, 0, y, thumbnail);
                for (var m = 0; m < row.MimicPixels.Count; m++)
                {
                    DrawFace(canvas, row.MimicPixels[m], row.Size, thumbnail + SeedGap + (m * (thumbnail + Gap)), y, thumbnail);
                }
            }
        }

        Posterize(faces);
        var heading = new PlacedText(title, Margin, 23, 16, Bold: true, Align: SKTextAlign.Left);
        var texts = captions
            .Select((c, r) => new PlacedText(c, facesLeft - 10, HeadingHeight + (r * (thumbnail + Gap)) + (thumbnail / 2f) + (CaptionSize * 0.35f), CaptionSize, Align: SKTextAlign.Right))
            .Prepend(heading)
            .ToArray();

        byte[] png;
        using (var full = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul)))
        {
            using (var canvas = new SKCanvas(full))
            {
                canvas.Clear(SKColors.White);
                using var facesImage = SKImage.FromBitmap(faces);
                canvas.DrawImage(facesImage, facesLeft, HeadingHeight, SKSamplingOptions.Default);
                foreach (var t in texts)
                {
                    FigureKit.DrawText(canvas, t);
                }
            }

            png = FigureKit.EncodePng(full);
        }

        var svg = FigureKit.NewSvg(width, height);
        XNamespace ns = "http://www.w3.org/2000/svg";
        svg.Add(new XElement(
            ns + "image",
            new XAttribute("x", facesLeft),
            new XAttribute("y", HeadingHeight),
            new XAttribute("width", faces.Width),
            new XAttribute("height", faces.Height),
            new XAttribute("href", "data:image/png;base64," + Convert.ToBase64String(FigureKit.EncodePng(faces)))));
        foreach (var t in texts)
        {
            svg.Add(FigureKit.SvgText(t));
        }

        var caption = $"Each row is a seed face (left) followed by {(mostMimics == 1 ? "its mimic" : "its mimics")}, scaled to {thumbnail} px.";
        return new Figure(name, title, caption, png, FigureKit.ToText(svg));
    }

    /// <summary>Draws one <paramref name="size"/>-pixel RGB crop scaled into a <paramref name="side"/>-pixel square at (x, y).</summary>
    private static void DrawFace(SKCanvas canvas, byte[] pixels, int size, int x, int y, int side)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (size <= 0 || pixels.Length != size * size * 3)
        {
            throw new ArgumentException($"a {size} x {size} RGB crop has {size * size * 3} bytes, not {pixels.Length}", nameof(pixels));
        }

        var rgba = new byte[size * size * 4];
        for (int i = 0, j = 0; i < pixels.Length; i += 3, j += 4)
        {
            rgba[j] = pixels[i];
            rgba[j + 1] = pixels[i + 1];
            rgba[j + 2] = pixels[i + 2];
            rgba[j + 3] = 255;
        }

        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var image = SKImage.FromPixelCopy(info, rgba);
        // Mipmaps with linear filtering average all the source pixels a thumbnail pixel covers, so downscaling does not alias.
        var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
        canvas.DrawImage(image, new SKRect(x, y, x + side, y + side), sampling);
    }

    /// <summary>
    /// Keeps the top <see cref="ColourBits"/> bits of every channel: invisible at thumbnail size, and it halves the PNG,
    /// which a report embedding one montage per dimension needs to stay small.
    /// </summary>
    private static void Posterize(SKBitmap bitmap)
    {
        var bytes = bitmap.Bytes;
        const int mask = (0xFF << (8 - ColourBits)) & 0xFF;
        for (var i = 0; i < bytes.Length; i++)
        {
            // Alpha (every fourth byte) stays opaque; the kept bits are repeated into the dropped ones so white stays white.
            if ((i & 3) != 3)
            {
                var kept = bytes[i] & mask;
                bytes[i] = (byte)(kept | (kept >> ColourBits));
            }
        }

        Marshal.Copy(bytes, 0, bitmap.GetPixels(), bytes.Length);
    }

    /// <summary>The caption cut to <see cref="MaxCaptionWidth"/> pixels.</summary>
    private static string Fit(string caption)
    {
        if (FigureKit.MeasureText(caption, CaptionSize) <= MaxCaptionWidth)
        {
            return caption;
        }

        var cut = caption.Length;
        while (cut > 1 && FigureKit.MeasureText(caption[..cut] + "…", CaptionSize) > MaxCaptionWidth)
        {
            cut--;
        }

        return caption[..cut].TrimEnd() + "…";
    }
}
