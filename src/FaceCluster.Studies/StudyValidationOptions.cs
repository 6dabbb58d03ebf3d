namespace FaceCluster.Studies;

/// <summary>What <see cref="StudyValidator"/> checks and how much of it it keeps.</summary>
public sealed record StudyValidationOptions
{
    /// <summary>Decode every pixel of every image (slow) rather than only its header. Catches files truncated after the header.</summary>
    public bool DecodeImages { get; init; }

    /// <summary>Check the image files (paths, existence, decoding). Off only for benchmarks and tests of the tables alone.</summary>
    public bool CheckImageFiles { get; init; } = true;

    /// <summary>
    /// Seeds lacking <c>self_report</c> events in some country are dropped (a warning naming them) instead of being an
    /// error, as <c>study aggregate --drop-incomplete</c> asks.
    /// </summary>
    public bool DropIncompleteSeeds { get; init; }

    /// <summary>How many problems of each kind and severity to keep (all are counted).</summary>
    public int MaxProblemsPerKind { get; init; } = 20;

    /// <summary>How many image files to check at once (0: one per processor).</summary>
    public int MaxParallelism { get; init; }
}
