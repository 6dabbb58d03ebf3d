namespace FaceCluster.Tables;

/// <summary>
/// An output folder that appears complete or not at all. A command writes every output into a hidden temporary
/// sibling of the target (<c>.DIR.tmp-RANDOM</c>, see <see cref="StagingPath"/>) and calls <see cref="CommitAsync"/>
/// at the end, which renames it to the target. Disposing without committing deletes the temporary folder, so a failed
/// or cancelled run leaves nothing that looks like a finished result.
/// </summary>
/// <example>
/// <code>
/// using var output = StagedOutputDirectory.Create(outDir, overwrite);
/// await ParquetTableWriter.WriteAsync(output.GetPath("dimensions.parquet"), columns, ct);
/// await AtomicFile.WriteJsonAsync(output.GetPath("summary.json"), summary, ct);
/// await output.CommitAsync(ct);
/// </code>
/// </example>
public sealed class StagedOutputDirectory : IDisposable
{
    private readonly bool _overwrite;
    private bool _disposed;

    private StagedOutputDirectory(string targetPath, string stagingPath, bool overwrite)
    {
        TargetPath = targetPath;
        StagingPath = stagingPath;
        _overwrite = overwrite;
    }

    /// <summary>The folder the outputs end up in (full path).</summary>
    public string TargetPath { get; }

    /// <summary>The hidden temporary folder to write into until <see cref="CommitAsync"/>.</summary>
    public string StagingPath { get; }

    /// <summary>Whether <see cref="CommitAsync"/> has completed.</summary>
    public bool IsCommitted { get; private set; }

    /// <summary>
    /// Creates the temporary folder beside <paramref name="directory"/> (creating missing parent folders). Refuses early,
    /// before any work is done, when <paramref name="directory"/> exists and <paramref name="overwrite"/> is false.
    /// </summary>
    /// <exception cref="InvalidInputException">The target exists (and overwriting was not requested) or is a file.</exception>
    public static StagedOutputDirectory Create(string directory, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var parent = Path.GetDirectoryName(target)
            ?? throw InvalidInputException.InFile(directory, "cannot write outputs to the root folder");
        CheckTarget(directory, target, overwrite);
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{AtomicFile.RandomSuffix()}");
        Directory.CreateDirectory(staging);
        return new StagedOutputDirectory(target, staging, overwrite);
    }

    /// <summary>The path of <paramref name="relativePath"/> inside the temporary folder (write outputs here).</summary>
    public string GetPath(string relativePath) => Path.Combine(StagingPath, relativePath);

    /// <summary>
    /// Moves the temporary folder to <see cref="TargetPath"/>. When the target exists (only allowed with overwrite),
    /// it is first renamed aside, then deleted once the new folder is in place.
    /// </summary>
    /// <exception cref="InvalidInputException">The target appeared meanwhile and overwriting was not requested.</exception>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsCommitted)
        {
            throw new InvalidOperationException("The output folder is already committed.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        CheckTarget(TargetPath, TargetPath, _overwrite);
        string? previous = null;
        if (Directory.Exists(TargetPath))
        {
            previous = Path.Combine(Path.GetDirectoryName(TargetPath)!, $".{Path.GetFileName(TargetPath)}.old-{AtomicFile.RandomSuffix()}");
            Directory.Move(TargetPath, previous);
        }

        try
        {
            Directory.Move(StagingPath, TargetPath);
        }
        catch when (previous is not null)
        {
            Directory.Move(previous, TargetPath);
            throw;
        }

        IsCommitted = true;
        if (previous is not null)
        {
            await Task.Run(() => TryDeleteFolder(previous), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the temporary folder unless the outputs were committed.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!IsCommitted)
        {
            TryDeleteFolder(StagingPath);
        }
    }

    private static void CheckTarget(string shownPath, string target, bool overwrite)
    {
        if (File.Exists(target))
        {
            throw InvalidInputException.InFile(shownPath, "exists and is a file, not a folder");
        }

        if (!overwrite && Directory.Exists(target))
        {
            throw InvalidInputException.InFile(shownPath, "already exists; choose another output folder or allow overwriting (--overwrite)");
        }
    }

    private static void TryDeleteFolder(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover hidden temporary folder does not look like a result; the run's own outcome matters more.
        }
    }
}
