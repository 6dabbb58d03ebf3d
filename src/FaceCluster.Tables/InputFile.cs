namespace FaceCluster.Tables;

/// <summary>Checks shared by the readers before a file is opened.</summary>
internal static class InputFile
{
    /// <summary>Throws <see cref="InvalidInputException"/> when <paramref name="path"/> is not an existing file.</summary>
    public static void RequireExisting(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw InvalidInputException.InFile(path, "is a folder, not a file");
        }

        if (!File.Exists(path))
        {
            throw InvalidInputException.InFile(path, "file not found");
        }
    }

    /// <summary>Whether <paramref name="path"/> ends with <paramref name="extension"/> (with the dot), ignoring case.</summary>
    public static bool HasExtension(string path, string extension) =>
        string.Equals(Path.GetExtension(path), extension, StringComparison.OrdinalIgnoreCase);

    /// <summary>Shortens a library's message for use inside a one-line error.</summary>
    public static string Brief(string message)
    {
        const int MaxLength = 200;
        var text = InvalidInputException.OneLine(message).Trim();
        return text.Length <= MaxLength ? text : string.Concat(text.AsSpan(0, MaxLength), "…");
    }
}
