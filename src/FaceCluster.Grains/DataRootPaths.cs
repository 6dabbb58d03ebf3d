namespace FaceCluster.Grains;

/// <summary>Turns the relative paths of requests and messages into files under the data root, refusing any that leave it.</summary>
public static class DataRootPaths
{
    /// <summary>
    /// The full path of <paramref name="relativePath"/> (with '/' or the platform's separator) under
    /// <paramref name="dataRoot"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The path is empty, absolute, or leaves the data root (for example through '..').</exception>
    public static string Resolve(string dataRoot, string relativePath) => Resolve(dataRoot, relativePath, allowRoot: false);

    /// <summary>
    /// As <see cref="Resolve(string, string)"/>; with <paramref name="allowRoot"/>, <c>.</c> names the data root itself (a
    /// pipeline run whose folder is the data root of its embedded cluster).
    /// </summary>
    /// <exception cref="ArgumentException">The path is empty, absolute, or leaves the data root.</exception>
    public static string Resolve(string dataRoot, string relativePath, bool allowRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataRoot);
        if (string.IsNullOrWhiteSpace(relativePath))
        {
            throw new ArgumentException("A path relative to the data root is required, got an empty one.", nameof(relativePath));
        }

        if (Path.IsPathRooted(relativePath))
        {
            throw new ArgumentException($"'{relativePath}' must be relative to the data root, not absolute.", nameof(relativePath));
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataRoot));
        var full = Path.GetFullPath(Path.Combine(root, relativePath.Replace('/', Path.DirectorySeparatorChar)));
        if (allowRoot && full == root)
        {
            return full;
        }

        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{relativePath}' leaves the data root.", nameof(relativePath));
        }

        return full;
    }
}
