using System.Runtime.InteropServices;
using SkiaSharp;

namespace FaceCluster.Vision;

/// <summary>
/// An 8-bit RGB image in memory: <see cref="Height"/> rows of <see cref="Width"/> pixels, each three bytes R, G, B
/// (HWC order, no padding). Immutable once made.
/// </summary>
/// <remarks>
/// <see cref="Decode(string, long)"/> reads JPEG, PNG, WebP, BMP and GIF (first frame) with SkiaSharp: the header is
/// read first and an image over the pixel limit or <see cref="MaxSide"/> is refused before any pixel is decoded (a file
/// over <see cref="MaxFileBytes"/> before it is read); the EXIF orientation of JPEG
/// and WebP files is applied (the stored pixels are rotated or mirrored as a viewer would show them); alpha is
/// dropped without compositing (as PIL's <c>convert("RGB")</c>); no colour-profile conversion is made.
/// </remarks>
public sealed class RgbImage
{
    /// <summary>The default largest image decoded: 50 megapixels (about 150 MB as RGB).</summary>
    public const long DefaultMaxPixels = 50_000_000;

    /// <summary>The longest side decoded, whatever the pixel limit (as FaceCluster.Studies' ImageLimits; docs/limits.md).</summary>
    public const int MaxSide = 16_384;

    /// <summary>The largest file read (256 MiB; as FaceCluster.Studies' ImageLimits): files are read whole before decoding.</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    private readonly byte[] _pixels;

    /// <summary>Wraps <paramref name="pixels"/> (HWC RGB, <c>width * height * 3</c> bytes); the array is not copied.</summary>
    /// <exception cref="ArgumentException">A size below 1 or a buffer of the wrong length.</exception>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width < 1 || height < 1)
        {
            throw new ArgumentException($"an image needs a width and height of at least 1 (got {width} x {height})", nameof(width));
        }

        if (pixels.LongLength != (long)width * height * 3)
        {
            throw new ArgumentException($"{width} x {height} RGB needs {(long)width * height * 3} bytes, not {pixels.LongLength}", nameof(pixels));
        }

        Width = width;
        Height = height;
        _pixels = pixels;
    }

    /// <summary>Pixels per row.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>The pixels, HWC: byte <c>(y * Width + x) * 3 + c</c> is channel c (0 R, 1 G, 2 B) of pixel (x, y).</summary>
    public ReadOnlyMemory<byte> Pixels => _pixels;

    /// <summary>The pixels as a span; see <see cref="Pixels"/>.</summary>
    public ReadOnlySpan<byte> Span => _pixels;

    /// <summary>Channel <paramref name="channel"/> (0 R, 1 G, 2 B) of the pixel at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public byte this[int x, int y, int channel] => _pixels[((y * Width) + x) * 3 + channel];

    /// <summary>Decodes the image file at <paramref name="path"/>; see the remarks of <see cref="RgbImage"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxPixels">Images with more pixels (width times height, from the header) are refused as <see cref="ImageDecodeReason.TooLarge"/>.</param>
    /// <exception cref="ImageDecodeException">The file cannot be read or decoded; <see cref="ImageDecodeException.Reason"/> says why.</exception>
    public static RgbImage Decode(string path, long maxPixels = DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
            {
                throw new ImageDecodeException(ImageDecodeReason.TooLarge, path, $"{length} bytes is over the limit of {MaxFileBytes} bytes an image file");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            var detail = e switch
            {
                FileNotFoundException => "no such file",
                DirectoryNotFoundException => "no such folder",
                UnauthorizedAccessException when Directory.Exists(path) => "a folder, not a file",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new ImageDecodeException(ImageDecodeReason.Unreadable, path, detail, e);
        }

        return Decode(bytes, maxPixels, path);
    }

    /// <summary>Decodes an encoded image held in memory; see <see cref="Decode(string, long)"/>.</summary>
    /// <exception cref="ImageDecodeException">The bytes cannot be decoded; <see cref="ImageDecodeException.Reason"/> says why.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> encoded, long maxPixels = DefaultMaxPixels) => Decode(encoded, maxPixels, null);

    /// <summary>The pixels of <paramref name="region"/> (which must lie inside the image) as a new image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The region is empty or reaches outside the image.</exception>
    public RgbImage Crop(CropRegion region)
    {
        CheckRegion(region);
        var pixels = new byte[region.Width * region.Height * 3];
        for (var y = 0; y < region.Height; y++)
        {
            _pixels.AsSpan((((region.Y1 + y) * Width) + region.X1) * 3, region.Width * 3).CopyTo(pixels.AsSpan(y * region.Width * 3));
        }

        return new RgbImage(region.Width, region.Height, pixels);
    }

    /// <summary>
    /// The image resized to <paramref name="width"/> x <paramref name="height"/> as Pillow's
    /// <c>Image.resize(size, BILINEAR)</c> does (see <see cref="FaceCrop.Extract(RgbImage, FaceBox, int, int)"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1.</exception>
    public RgbImage Resize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        return FaceCrop.Resize(this, new CropRegion(0, 0, Width, Height), width, height);
    }

    /// <summary>Encodes the image as PNG (lossless).</summary>
    public byte[] EncodePng() => Encode(SKEncodedImageFormat.Png, 100);

    /// <summary>Encodes the image as JPEG of the given quality (1 to 100).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A quality outside 1 to 100.</exception>
    public byte[] EncodeJpeg(int quality = 90)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        return Encode(SKEncodedImageFormat.Jpeg, quality);
    }

    private byte[] Encode(SKEncodedImageFormat format, int quality)
    {
        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        var rgba = new byte[Width * Height * 4];
        for (int i = 0, j = 0; i < _pixels.Length; i += 3, j += 4)
        {
            rgba[j] = _pixels[i];
            rgba[j + 1] = _pixels[i + 1];
            rgba[j + 2] = _pixels[i + 2];
            rgba[j + 3] = 255;
        }

        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    internal void CheckRegion(CropRegion region)
    {
        if (region.X1 < 0 || region.Y1 < 0 || region.Width < 1 || region.Height < 1 || region.X2 > Width || region.Y2 > Height)
        {
            throw new ArgumentOutOfRangeException(nameof(region), region, $"not a non-empty region of the {Width} x {Height} image");
        }
    }

    private static RgbImage Decode(ReadOnlySpan<byte> encoded, long maxPixels, string? path)
    {
        if (maxPixels < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxPixels), maxPixels, "the pixel limit must be at least 1");
        }

        if (encoded.IsEmpty)
        {
            throw new ImageDecodeException(ImageDecodeReason.Corrupt, path, "the file is empty");
        }

        var signature = SniffFormat(encoded);
        using var data = SKData.CreateCopy(encoded);
        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var created);
        if (codec is null)
        {
            throw signature is null
                ? new ImageDecodeException(ImageDecodeReason.Unsupported, path, "not a JPEG, PNG, WebP, BMP or GIF image (unrecognised bytes)")
                : new ImageDecodeException(ImageDecodeReason.Corrupt, path, $"the {signature} header cannot be read ({Describe(created)})");
        }

        var format = codec.EncodedFormat;
        if (format is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png or SKEncodedImageFormat.Webp or SKEncodedImageFormat.Bmp or SKEncodedImageFormat.Gif))
        {
            throw new ImageDecodeException(ImageDecodeReason.Unsupported, path, $"{format.ToString().ToUpperInvariant()} images are not supported (JPEG, PNG, WebP, BMP, GIF are)");
        }

        var width = codec.Info.Width;
        var height = codec.Info.Height;
        if (width < 1 || height < 1)
        {
            throw new ImageDecodeException(ImageDecodeReason.Corrupt, path, $"the header gives a size of {width} x {height}");
        }

        if (width > MaxSide || height > MaxSide)
        {
            throw new ImageDecodeException(ImageDecodeReason.TooLarge, path, $"{width} x {height} is over the limit of {MaxSide} pixels a side");
        }

        if ((long)width * height > maxPixels)
        {
            throw new ImageDecodeException(
                ImageDecodeReason.TooLarge, path, $"{width} x {height} is {(long)width * height / 1e6:0.#} megapixels, over the limit of {maxPixels / 1e6:0.#}");
        }

        var rgba = new byte[checked(width * height * 4)];
        var target = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        SKCodecResult decoded;
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            decoded = codec.GetPixels(target, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }

        if (decoded != SKCodecResult.Success)
        {
            throw new ImageDecodeException(
                ImageDecodeReason.Corrupt,
                path,
                decoded == SKCodecResult.IncompleteInput ? $"truncated: the {Name(format)} data ends early" : $"the {Name(format)} data does not decode ({Describe(decoded)})");
        }

        // libjpeg fills a progressive JPEG cut short with what the earlier scans gave and reports success; PIL calls
        // such a file truncated, and so does this.
        if (format == SKEncodedImageFormat.Jpeg && !JpegHasEndMarker(encoded))
        {
            throw new ImageDecodeException(ImageDecodeReason.Corrupt, path, "truncated: the JPEG data ends before its end-of-image marker");
        }

        return Orient(rgba, width, height, codec.EncodedOrigin);
    }

    /// <summary>
    /// Whether an end-of-image marker (FF D9) follows the first start-of-scan segment. Entropy-coded data never holds
    /// FF D9 (a data byte FF is stuffed as FF 00), and the segments before the scan (which may hold an EXIF thumbnail
    /// with its own FF D9) are skipped by their lengths.
    /// </summary>
    private static bool JpegHasEndMarker(ReadOnlySpan<byte> bytes)
    {
        var i = 2;
        while (i + 4 <= bytes.Length)
        {
            if (bytes[i] != 0xFF)
            {
                return false;
            }

            var marker = bytes[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }

            if (marker == 0xD9)
            {
                return true;
            }

            var length = (bytes[i + 2] << 8) | bytes[i + 3];
            if (marker == 0xDA)
            {
                return bytes[(i + 2)..].IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0;
            }

            i += 2 + length;
        }

        return false;
    }

    /// <summary>RGBA to RGB, rotating or mirroring as the EXIF orientation says.</summary>
    private static RgbImage Orient(byte[] rgba, int width, int height, SKEncodedOrigin origin)
    {
        var swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var outWidth = swap ? height : width;
        var outHeight = swap ? width : height;
        var rgb = new byte[outWidth * outHeight * 3];
        if (origin is SKEncodedOrigin.TopLeft or (SKEncodedOrigin)0)
        {
            for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
            {
                rgb[j] = rgba[i];
                rgb[j + 1] = rgba[i + 1];
                rgb[j + 2] = rgba[i + 2];
            }

            return new RgbImage(width, height, rgb);
        }

        for (var y = 0; y < outHeight; y++)
        {
            for (var x = 0; x < outWidth; x++)
            {
                // The stored pixel (sx, sy) that shows at (x, y).
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (width - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (width - 1 - x, height - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, height - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (y, height - 1 - x),
                    SKEncodedOrigin.RightBottom => (width - 1 - y, height - 1 - x),
                    SKEncodedOrigin.LeftBottom => (width - 1 - y, x),
                    _ => (x, y),
                };
                var i = ((sy * width) + sx) * 4;
                var j = ((y * outWidth) + x) * 3;
                rgb[j] = rgba[i];
                rgb[j + 1] = rgba[i + 1];
                rgb[j + 2] = rgba[i + 2];
            }
        }

        return new RgbImage(outWidth, outHeight, rgb);
    }

    /// <summary>The format named by the first bytes, or null: tells damaged images from other files.</summary>
    private static string? SniffFormat(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8]))
        {
            return "JPEG";
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']))
        {
            return "PNG";
        }

        if (bytes.StartsWith("GIF8"u8))
        {
            return "GIF";
        }

        if (bytes.StartsWith("BM"u8))
        {
            return "BMP";
        }

        if (bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
        {
            return "WebP";
        }

        return null;
    }

    private static string Name(SKEncodedImageFormat format) => format == SKEncodedImageFormat.Webp ? "WebP" : format.ToString().ToUpperInvariant();

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the data ends early",
        SKCodecResult.ErrorInInput => "the data is damaged",
        SKCodecResult.InvalidInput => "invalid data",
        SKCodecResult.Unimplemented => "a variant SkiaSharp does not implement",
        _ => result.ToString(),
    };
}
