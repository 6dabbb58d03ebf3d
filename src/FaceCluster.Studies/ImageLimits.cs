namespace FaceCluster.Studies;

/// <summary>
/// The largest study images that are decoded (docs/limits.md, "Inputs"). Both are read from the image header, before
/// any pixel buffer is allocated, by every reader that decodes study images (<c>study validate --decode</c>, crop): a
/// 16,000 x 16,000 PNG of a few kilobytes would otherwise take a gigabyte to decode.
/// </summary>
public static class ImageLimits
{
    /// <summary>Most pixels (width times height) of an image: 100 megapixels (400 MB as RGBA while decoding).</summary>
    public const long MaxPixels = 100_000_000;

    /// <summary>Longest side of an image, in pixels.</summary>
    public const int MaxSide = 16_384;

    /// <summary>Largest image file, in bytes (256 MiB): crop reads a file whole before decoding it.</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    /// <summary>What is wrong with an image of <paramref name="width"/> x <paramref name="height"/> under the limits, or null.</summary>
    public static string? Check(int width, int height, long maxPixels = MaxPixels)
    {
        var limit = Math.Min(maxPixels, MaxPixels);
        if (width > MaxSide || height > MaxSide)
        {
            return $"{width} x {height} is over the limit of {MaxSide} pixels a side (docs/limits.md)";
        }

        return (long)width * height > limit
            ? FormattableString.Invariant($"{width} x {height} is {(long)width * height / 1e6:0.#} megapixels, over the limit of {limit / 1e6:0.#} (docs/limits.md)")
            : null;
    }
}
