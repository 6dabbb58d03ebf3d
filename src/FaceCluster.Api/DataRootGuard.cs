namespace FaceCluster.Api;

/// <summary>
/// Checks that a path of a request stays inside the data root: relative, no '..' leaving it, and no symbolic link on
/// the way (file or folder) whose target is outside the data root.
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

        if (Path.IsPathRooted(relativePath) || relativePath.StartsWith('~'))
        {
            throw new ArgumentException($"{field}: '{relativePath}' must be relative to the data root, not absolute.");
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataRoot));
        var realRoot = RealPath(root);
        var full = Path.GetFullPath(Path.Combine(root, relativePath.Replace('\\', '/')));
        if (!IsUnder(full, root))
        {
            throw new ArgumentException($"{field}: '{relativePath}' leaves the data root.");
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
                throw new ArgumentException($"{field}: '{relativePath}' goes through a symbolic link that leaves the data root.");
            }
        }

        return full;
    }

    private static bool IsUnder(string path, string root) =>
        path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The path with every link of its existing part resolved.</summary>
    private static string RealPath(string path)
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
