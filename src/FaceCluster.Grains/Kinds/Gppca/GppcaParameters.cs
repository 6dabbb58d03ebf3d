using FaceCluster.Analysis;

namespace FaceCluster.Grains;

/// <summary>The parameters of a <c>gppca</c> run.</summary>
public sealed record GppcaParameters : IRunParameters
{
    /// <summary>The judgments table (<c>seed_id</c>, then <c>{country}:{concept}</c> for every country and concept), relative to the data root.</summary>
    public string Judgments { get; init; } = string.Empty;

    /// <summary>Threads on the silo that runs it (0: all its cores); results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>What <c>summary.json</c> records as the input; null: <see cref="Judgments"/>.</summary>
    public string? JudgmentsName { get; init; }

    /// <summary>Every problem, each naming the field.</summary>
    public IReadOnlyList<string> Validate(string dataRoot)
    {
        var errors = new List<string>();
        KindChecks.InputFile(errors, dataRoot, "judgments", Judgments);
        if (Threads is < 0 or > PpcaOptions.MaxThreads)
        {
            errors.Add($"threads must be 0 (all cores) to {PpcaOptions.MaxThreads}, got {Threads}");
        }

        return errors;
    }
}
