namespace FaceCluster.Torch.Checkpoints;

/// <summary>
/// A PyTorch checkpoint cannot be read, written or loaded into a module: the file is damaged or truncated, is not a
/// checkpoint, names a class outside the allow-list, or does not match the module. The message names the file.
/// </summary>
public sealed class CheckpointFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    public CheckpointFormatException(string filePath, string message) : base(message) => FilePath = filePath;

    /// <summary>Creates the exception for <paramref name="filePath"/> with the error that caused it.</summary>
    public CheckpointFormatException(string filePath, string message, Exception inner) : base(message, inner) => FilePath = filePath;

    /// <summary>Creates the exception without a file.</summary>
    public CheckpointFormatException() { }

    /// <summary>Creates the exception without a file.</summary>
    public CheckpointFormatException(string message) : base(message) { }

    /// <summary>Creates the exception without a file.</summary>
    public CheckpointFormatException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The checkpoint the problem is in, or null where none was given.</summary>
    public string? FilePath { get; }
}
