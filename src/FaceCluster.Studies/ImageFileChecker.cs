using SkiaSharp;

namespace FaceCluster.Studies;

/// <summary>
/// Checks the image files of a study: the path is relative and stays inside the study folder (after resolving every
/// symbolic link along it), the file exists, and SkiaSharp can decode it (the header by default; every pixel with
/// full decoding). Damaged files are reported, never thrown.
/// </summary>
internal sealed class ImageFileChecker
{
    private readonly StudyPaths _paths;
    private readonly bool _decode;

    public ImageFileChecker(string root, bool decode)
    {
        _paths = new StudyPaths(root);
        _decode = decode;
    }

    /// <summary>Checks one image row's path and file; reports to <paramref name="log"/>.</summary>
    public void Check(string path, long row, string file, StudyProblemLog log)
    {
        // The same confinement as every other reader of image paths (StudyPaths).
        var confined = _paths.Confine(path);
        if (confined.FullPath is not { } real)
        {
            log.Error(confined.Problem!.Value, file, row, "path", confined.Message!);
            return;
        }

        if (!File.Exists(real))
        {
            log.Error(
                StudyProblemKind.ImageMissing, file, row, "path",
                Directory.Exists(real) ? $"\"{path}\" is a folder, not an image file" : $"\"{path}\" does not exist");
            return;
        }

        var problem = Decode(real, _decode, out var format);
        if (problem is not null)
        {
            log.Error(StudyProblemKind.ImageUnreadable, file, row, "path", $"\"{path}\" is not a readable image ({problem})");
        }
        else if (format is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png))
        {
            log.Warning(StudyProblemKind.ImageFormat, file, row, "path", $"\"{path}\" is {format.ToString().ToUpperInvariant()}; the format expects JPEG or PNG");
        }
    }

    /// <summary>
    /// Decodes the header of the image (and, when <paramref name="full"/>, every pixel); returns what went wrong, or
    /// null. A truncated file whose header is complete passes a header decode and fails a full one.
    /// </summary>
    internal static string? Decode(string path, bool full, out SKEncodedImageFormat format)
    {
        format = default;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 14);
            if (stream.Length == 0)
            {
                return "empty file";
            }

            if (stream.Length > ImageLimits.MaxFileBytes)
            {
                return $"{stream.Length} bytes is over the limit of {ImageLimits.MaxFileBytes} bytes an image file (docs/limits.md)";
            }

            using var codec = SKCodec.Create(stream, out var result);
            if (codec is null)
            {
                return $"SkiaSharp cannot decode its header: {Describe(result)}";
            }

            format = codec.EncodedFormat;
            var info = codec.Info;
            if (info.Width <= 0 || info.Height <= 0)
            {
                return $"its size is {info.Width} x {info.Height}";
            }

            // From the header, before a pixel buffer is allocated (also without --decode: crop would refuse it).
            if (ImageLimits.Check(info.Width, info.Height) is { } tooLarge)
            {
                return tooLarge;
            }

            if (!full)
            {
                return null;
            }

            var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
            using var bitmap = new SKBitmap(target);
            var decoded = codec.GetPixels(target, bitmap.GetPixels());
            return decoded == SKCodecResult.Success ? null : $"decoding its pixels failed: {Describe(decoded)}";
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the file is truncated",
        SKCodecResult.ErrorInInput => "the data is corrupt",
        SKCodecResult.InvalidInput => "not an image SkiaSharp knows",
        SKCodecResult.Unimplemented => "an unsupported image format",
        _ => result.ToString(),
    };
}
