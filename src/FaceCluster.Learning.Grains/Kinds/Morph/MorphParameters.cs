using FaceCluster.Grains;

namespace FaceCluster.Learning.Grains;

/// <summary>
/// The parameters of a <c>morph</c> run: the study (its images table says which mimic was made in which country), its
/// crop set and the PPCA whose rotated DNN scores pick the seeds, all relative to the data root.
/// </summary>
public sealed record MorphParameters : IRunParameters
{
    /// <summary>The most seeds per ranking.</summary>
    public const int MaxCount = 1000;

    /// <summary>The most threads.</summary>
    public const int MaxThreads = 1024;

    /// <summary>The study folder (its <c>images.parquet</c> or <c>images.csv</c>).</summary>
    public string Study { get; init; } = string.Empty;

    /// <summary>The crop set folder of the study.</summary>
    public string Crops { get; init; } = string.Empty;

    /// <summary>The PPCA output folder (<c>loadings.parquet</c>, <c>dimension_scores.parquet</c>, ...).</summary>
    public string Ppca { get; init; } = string.Empty;

    /// <summary>Seeds per ranking (by score and by differential score; the paper: 5).</summary>
    public int Count { get; init; } = 5;

    /// <summary>Threads of the landmark network and the warp per range (0: the silo's cores shared between its worker slots). The bytes do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Every problem, each naming the field.</summary>
    public IReadOnlyList<string> Validate(string dataRoot)
    {
        var errors = new List<string>();
        KindChecks.StudyFolder(errors, dataRoot, "study", Study);
        KindChecks.InputFolder(errors, dataRoot, "crops", Crops);
        KindChecks.InputFolder(errors, dataRoot, "ppca", Ppca);
        if (Count is < 1 or > MaxCount)
        {
            errors.Add($"count must be 1 to {MaxCount}, got {Count}");
        }

        if (Threads is < 0 or > MaxThreads)
        {
            errors.Add($"threads must be 0 (the silo's cores per worker slot) to {MaxThreads}, got {Threads}");
        }

        return errors;
    }
}
