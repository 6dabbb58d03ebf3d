namespace FaceCluster.Api;

/// <summary>
/// Checks that a path of a request stays inside the data root: relative, no '..' leaving it, and no symbolic link on
/// the way (file or folder) whose target is outside the data root. Its messages echo the path as the request gave it,
/// bounded (<see cref="ApiText.Bounded"/>), and never the data root's absolute path.
/// </summary>
public static class DataRootGuard
{
    /// <summary>The full path of <paramref name="relativePath"/> under <paramref name="dataRoot"/>.</summary>
    /// <param name="dataRoot">The data root.</param>
    /// <param name="relativePath">The path as the request gives it.</param>
    /// <param name="field">The request field, for the message.</param>
    /// <exception cref="ArgumentException">The path is empty, absolute, or leaves the data root.</exception>
    public static string Check(string dataRoot, string? relativePath, string field)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataRoot);
        if (string.IsNullOrWhiteSpace(relativePath))
        {
            throw new ArgumentException($"{field}: a path relative to the data root is required.");
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataRoot));
        var realRoot = RealPath(root);
        var shown = ApiText.Bounded(relativePath);
        if (Path.IsPathRooted(relativePath) || relativePath.StartsWith('~'))
        {
            // An absolute path may be the data root's own: say it relative to the root instead of echoing the root.
            var hint = Path.IsPathRooted(relativePath) && IsUnder(Path.GetFullPath(relativePath), root)
                ? $" (here '{ApiText.Bounded(Path.GetRelativePath(root, Path.GetFullPath(relativePath)))}')"
                : string.Empty;
            throw new ArgumentException($"{field}: an absolute path is not accepted; give it relative to the data root{hint}.");
        }

        var full = Path.GetFullPath(Path.Combine(root, relativePath.Replace('\\', '/')));
        if (!IsUnder(full, root))
        {
            throw new ArgumentException($"{field}: '{shown}' leaves the data root.");
        }

        // Walk from the root to the path: every existing link must resolve inside the (real) data root.
        var current = root;
        foreach (var part in Path.GetRelativePath(root, full).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (!info.Exists || info.LinkTarget is null)
            {
                continue;
            }

            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || !IsUnder(RealPath(target.FullName), realRoot))
            {
                throw new ArgumentException($"{field}: '{shown}' goes through a symbolic link that leaves the data root.");
            }
        }

        return full;
    }

    private static bool IsUnder(string path, string root) =>
        path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The path with every link of its existing part resolved.</summary>
    internal static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var parts = full.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = Path.GetPathRoot(full) ?? "/";
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                next = RealPath(target.FullName);
            }

            current = next;
        }

        return current;
    }
}
