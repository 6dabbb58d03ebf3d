namespace FaceCluster.Cli;

/// <summary>The exit codes of <c>facecluster</c>.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>An unexpected error (a bug or an environment problem); the stack is printed with <c>FACECLUSTER_DEBUG=1</c>.</summary>
    public const int Failure = 1;

    /// <summary>Bad input: a usage error, or a missing, unreadable or invalid file or folder.</summary>
    public const int BadInput = 2;

    /// <summary>Cancelled by Ctrl+C (128 + SIGINT).</summary>
    public const int Cancelled = 130;
}
