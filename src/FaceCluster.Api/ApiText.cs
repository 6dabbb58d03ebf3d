namespace FaceCluster.Api;

/// <summary>
/// Text that the API puts in its answers: user values echoed at a bounded length, and no absolute server path of the
/// data root (answers go to callers who need not know the server's layout).
/// </summary>
public static class ApiText
{
    /// <summary>How many characters of a user value an answer echoes.</summary>
    public const int MaxEcho = 200;

    /// <summary>How long an error message may be.</summary>
    public const int MaxMessage = 1000;

    /// <summary><paramref name="value"/> cut to <paramref name="max"/> characters with an ellipsis, on one line.</summary>
    public static string Bounded(string? value, int max = MaxEcho)
    {
        var text = (value ?? string.Empty).ReplaceLineEndings(" ");
        return text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");
    }

    /// <summary>
    /// <paramref name="message"/> on one line, bounded, with the data root's absolute path (as configured and as resolved
    /// through links) removed: paths under it become relative, the root itself "the data root".
    /// </summary>
    public static string Sanitize(string message, string? dataRoot)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!string.IsNullOrEmpty(dataRoot))
        {
            var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataRoot));
            foreach (var form in new[] { root, DataRootGuard.RealPath(root) }.Distinct(StringComparer.Ordinal).OrderByDescending(f => f.Length))
            {
                if (form.Length > 1)
                {
                    message = message.Replace(form + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal)
                        .Replace(form, "the data root", StringComparison.Ordinal);
                }
            }
        }

        return Bounded(message, MaxMessage);
    }
}
