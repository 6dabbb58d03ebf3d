using System.Collections.Concurrent;
using FaceCluster.Tables;

namespace FaceCluster.Studies;

/// <summary>What <see cref="StudyPaths.Confine"/> found about one path of the images table.</summary>
/// <param name="FullPath">The file's real path (every symbolic link resolved) inside the study folder, or null when refused.</param>
/// <param name="Problem">Why the path is refused (<see cref="StudyProblemKind.PathAbsolute"/>, <see cref="StudyProblemKind.PathParent"/>, <see cref="StudyProblemKind.PathEscapes"/> or <see cref="StudyProblemKind.ImageMissing"/> when it cannot be resolved), or null.</param>
/// <param name="Message">The problem in words, quoting the path, or null.</param>
public readonly record struct ConfinedPath(string? FullPath, StudyProblemKind? Problem, string? Message)
{
    /// <summary>Whether the path stays inside the study folder.</summary>
    public bool IsInside => FullPath is not null;
}

/// <summary>
/// The one confinement of image paths to their study folder (study-format.md: paths are relative, never absolute,
/// never <c>..</c>): every reader of the images table's <c>path</c> column (validation, cropping) resolves paths
/// here, so that no file outside the study folder is ever opened, whether named absolutely, through <c>..</c> or
/// through a symbolic link that leaves the folder.
/// </summary>
/// <remarks>
/// Links are resolved component by component as POSIX <c>realpath</c> does (a missing tail is kept as written), and the
/// real folders met are cached, so that resolving many images in few folders costs about one link lookup per image.
/// Instances are safe to use from several threads.
/// </remarks>
public sealed class StudyPaths
{
    private const int MaxLinkDepth = 40;

    private readonly string _rootReal;
    private readonly string _rootPrefix;
    private readonly ConcurrentDictionary<string, string> _realDirectories = new(StringComparer.Ordinal);

    /// <summary>Confines paths to the study folder <paramref name="studyFolder"/>.</summary>
    public StudyPaths(string studyFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(studyFolder);
        Folder = studyFolder;
        _rootReal = RealPath(studyFolder);
        _rootPrefix = _rootReal.EndsWith('/') ? _rootReal : _rootReal + "/";
    }

    /// <summary>The study folder, as given.</summary>
    public string Folder { get; }

    /// <summary>
    /// Resolves <paramref name="path"/> (a value of the images table's <c>path</c> column) inside the study folder.
    /// Whether the file exists is not checked.
    /// </summary>
    public ConfinedPath Confine(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (IsAbsolute(path))
        {
            return new(null, StudyProblemKind.PathAbsolute, $"\"{path}\" is absolute; paths are relative to the study folder");
        }

        if (path.Split('/', '\\').Contains(".."))
        {
            return new(null, StudyProblemKind.PathParent, $"\"{path}\" contains \"..\"; paths must stay inside the study folder");
        }

        string real;
        try
        {
            real = RealPath(Path.Combine(Folder, path));
        }
        catch (IOException e)
        {
            return new(null, StudyProblemKind.ImageMissing, $"\"{path}\" cannot be resolved ({e.Message})");
        }

        if (real != _rootReal && !real.StartsWith(_rootPrefix, StringComparison.Ordinal))
        {
            return new(null, StudyProblemKind.PathEscapes, $"\"{path}\" leaves the study folder through a symbolic link (it resolves to {real})");
        }

        return new(real, null, null);
    }

    /// <summary>
    /// The real path of <paramref name="path"/> inside the study folder, for a reader that must open the file.
    /// </summary>
    /// <param name="path">The <c>path</c> value.</param>
    /// <param name="table">The images table's file, named in the error.</param>
    /// <param name="row">The 1-based data row, named in the error.</param>
    /// <exception cref="InvalidInputException">The path is refused: <c>TABLE: row R, column "path": PROBLEM</c>.</exception>
    public string Require(string path, string table, long row)
    {
        var confined = Confine(path);
        return confined.FullPath ?? throw InvalidInputException.InFile(table, confined.Message!, checked((int)row), "path");
    }

    /// <summary>
    /// Checks every non-empty path of <paramref name="table"/> (the study's images table) with <see cref="Require"/>,
    /// so that a reader refuses the study before it opens any image.
    /// </summary>
    /// <exception cref="InvalidInputException">The first path refused, naming the table, its row and the <c>path</c> column.</exception>
    public void RequireAll(StudyImageTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        foreach (var image in table.Images)
        {
            if (image.Path is { } path)
            {
                Require(path, table.File, image.Row);
            }
        }
    }

    private static bool IsAbsolute(string path) =>
        Path.IsPathRooted(path) || path.StartsWith('\\') || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0]));

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
