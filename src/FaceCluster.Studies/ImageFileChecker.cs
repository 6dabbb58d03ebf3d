using System.Collections.Concurrent;
using SkiaSharp;

namespace FaceCluster.Studies;

/// <summary>
/// Checks the image files of a study: the path is relative and stays inside the study folder (after resolving every
/// symbolic link along it), the file exists, and SkiaSharp can decode it (the header by default; every pixel with
/// full decoding). Damaged files are reported, never thrown.
/// </summary>
internal sealed class ImageFileChecker
{
    private const int MaxLinkDepth = 40;

    private readonly string _root;
    private readonly string _rootReal;
    private readonly bool _decode;
    private readonly ConcurrentDictionary<string, string> _realDirectories = new(StringComparer.Ordinal);

    public ImageFileChecker(string root, bool decode)
    {
        _root = root;
        _decode = decode;
        _rootReal = RealPath(root);
    }

    /// <summary>Checks one image row's path and file; reports to <paramref name="log"/>.</summary>
    public void Check(string path, long row, string file, StudyProblemLog log)
    {
        if (IsAbsolute(path))
        {
            log.Error(StudyProblemKind.PathAbsolute, file, row, "path", $"\"{path}\" is absolute; paths are relative to the study folder");
            return;
        }

        if (path.Split('/', '\\').Contains(".."))
        {
            log.Error(StudyProblemKind.PathParent, file, row, "path", $"\"{path}\" contains \"..\"; paths must stay inside the study folder");
            return;
        }

        var full = Path.Combine(_root, path);
        string real;
        try
        {
            real = RealPath(full);
        }
        catch (IOException e)
        {
            log.Error(StudyProblemKind.ImageMissing, file, row, "path", $"\"{path}\" cannot be resolved ({e.Message})");
            return;
        }

        if (!IsInside(real))
        {
            log.Error(StudyProblemKind.PathEscapes, file, row, "path", $"\"{path}\" leaves the study folder through a symbolic link (it resolves to {real})");
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

    private static bool IsAbsolute(string path) =>
        Path.IsPathRooted(path) || path.StartsWith('\\') || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0]));

    private bool IsInside(string real) =>
        real == _rootReal || real.StartsWith(_rootReal.EndsWith('/') ? _rootReal : _rootReal + "/", StringComparison.Ordinal);

    /// <summary>
    /// The path with every symbolic link along it resolved (as POSIX <c>realpath</c>, but a missing tail is kept as
    /// written). Real folders are cached, so checking many images in few folders costs one link lookup per image.
    /// </summary>
    private string RealPath(string path) => Resolve(Path.GetFullPath(path), 0);

    private string Resolve(string absolute, int depth)
    {
        if (depth > MaxLinkDepth)
        {
            throw new IOException("too many levels of symbolic links");
        }

        var parts = absolute.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = "/";
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }

            var next = current == "/" ? "/" + part : current + "/" + part;
            var isLast = i == parts.Length - 1;
            if (!isLast && _realDirectories.TryGetValue(next, out var cached))
            {
                current = cached;
                continue;
            }

            var target = new FileInfo(next).LinkTarget;
            var resolved = target is null
                ? next
                : Resolve(target.StartsWith('/') ? target : current + "/" + target, depth + 1);
            if (!isLast)
            {
                _realDirectories.TryAdd(next, resolved);
            }

            current = resolved;
        }

        return current;
    }
}
