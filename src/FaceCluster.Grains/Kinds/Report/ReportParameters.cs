using FaceCluster.Analysis;

namespace FaceCluster.Grains;

/// <summary>
/// The parameters of a <c>report</c> run. Its output folder is the run it reports on (a pipeline's output folder or a
/// PPCA's): the report, <c>figures/</c>, <c>tsne.parquet</c> and <c>report.json</c> are written into it.
/// </summary>
public sealed record ReportParameters : IRunParameters
{
    /// <summary>A synthetic study's <c>truth.json</c> relative to the data root; null: the pipeline's study's, when it has one.</summary>
    public string? Truth { get; init; }

    /// <summary>The seed of the t-SNE maps; null: the PPCA's.</summary>
    public ulong? Seed { get; init; }

    /// <summary>t-SNE threads on the silo (0: all its cores); the maps do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Every problem, each naming the field.</summary>
    public IReadOnlyList<string> Validate(string dataRoot)
    {
        var errors = new List<string>();
        if (Truth is not null)
        {
            KindChecks.InputFile(errors, dataRoot, "truth", Truth);
        }

        if (Threads is < 0 or > TsneOptions.MaxThreads)
        {
            errors.Add($"threads must be 0 (all cores) to {TsneOptions.MaxThreads}, got {Threads}");
        }

        return errors;
    }
}
