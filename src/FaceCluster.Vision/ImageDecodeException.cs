namespace FaceCluster.Vision;

/// <summary>Why an image could not be decoded; <see cref="ImageDecodeReasons.ToCode"/> gives its stable text code.</summary>
public enum ImageDecodeReason
{
    /// <summary><c>unreadable</c>: the file is missing, a folder, or cannot be read (permissions, I/O error).</summary>
    Unreadable,

    /// <summary><c>corrupt</c>: the bytes claim a supported format but do not decode (damaged, truncated, empty).</summary>
    Corrupt,

    /// <summary><c>unsupported</c>: not an image, or an image format other than JPEG, PNG, WebP, BMP or GIF.</summary>
    Unsupported,

    /// <summary><c>too_large</c>: the header gives more pixels than the limit; nothing was decoded.</summary>
    TooLarge,
}

/// <summary>Text codes of <see cref="ImageDecodeReason"/>, as recorded in status columns.</summary>
public static class ImageDecodeReasons
{
    /// <summary><c>unreadable</c>, <c>corrupt</c>, <c>unsupported</c> or <c>too_large</c>.</summary>
    public static string ToCode(this ImageDecodeReason reason) => reason switch
    {
        ImageDecodeReason.Unreadable => "unreadable",
        ImageDecodeReason.Corrupt => "corrupt",
        ImageDecodeReason.Unsupported => "unsupported",
        ImageDecodeReason.TooLarge => "too_large",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}

/// <summary>One image could not be decoded: <see cref="Reason"/> says why, the message says what was seen.</summary>
public sealed class ImageDecodeException : Exception
{
    /// <summary>Creates the exception; <paramref name="filePath"/> names the file (or is null for bytes in memory).</summary>
    public ImageDecodeException(ImageDecodeReason reason, string? filePath, string detail, Exception? inner = null)
        : base($"{filePath ?? "image"}: {reason.ToCode()}: {detail}", inner)
    {
        Reason = reason;
        FilePath = filePath;
        Detail = detail;
    }

    /// <summary>Creates an <see cref="ImageDecodeReason.Corrupt"/> exception with a message.</summary>
    public ImageDecodeException()
        : this(ImageDecodeReason.Corrupt, null, "the image could not be decoded")
    {
    }

    /// <summary>Creates an <see cref="ImageDecodeReason.Corrupt"/> exception with a message.</summary>
    public ImageDecodeException(string message)
        : this(ImageDecodeReason.Corrupt, null, message)
    {
    }

    /// <summary>Creates an <see cref="ImageDecodeReason.Corrupt"/> exception with a message and its cause.</summary>
    public ImageDecodeException(string message, Exception inner)
        : this(ImageDecodeReason.Corrupt, null, message, inner)
    {
    }

    /// <summary>Why the image could not be decoded.</summary>
    public ImageDecodeReason Reason { get; }

    /// <summary><see cref="Reason"/> as its text code: <c>unreadable</c>, <c>corrupt</c>, <c>unsupported</c>, <c>too_large</c>.</summary>
    public string ReasonCode => Reason.ToCode();

    /// <summary>The file path, or null when bytes in memory were decoded.</summary>
    public string? FilePath { get; }

    /// <summary>What was seen, without the path and the reason code (for example "truncated: the data ends early").</summary>
    public string Detail { get; }
}
