using FaceCluster.Analysis;

namespace FaceCluster.Grains;

/// <summary>
/// The parameters of a <c>ppca</c> run. Settings left out take <see cref="PpcaOptions"/>' defaults (the paper's), so
/// each has one default and one check, whichever way the run was submitted.
/// </summary>
public sealed record PpcaParameters : IRunParameters
{
    /// <summary>The DNN outputs table (wide: <c>seed_id</c>, then one column per attribute), relative to the data root.</summary>
    public string X { get; init; } = string.Empty;

    /// <summary>The human judgments table (same layout), relative to the data root.</summary>
    public string Y { get; init; } = string.Empty;

    /// <summary>Dimension-bootstrap resamples B.</summary>
    public int? Bootstrap { get; init; }

    /// <summary>Loading-significance replicates R (0 skips them).</summary>
    public int? Replicates { get; init; }

    /// <summary>Bootstrap resamples inside each replicate (default B).</summary>
    public int? InnerBootstrap { get; init; }

    /// <summary>The seed of every random stream.</summary>
    public ulong? Seed { get; init; }

    /// <summary><c>fast</c> (the default) or <c>naive</c>.</summary>
    public string? Loo { get; init; }

    /// <summary>Largest <see cref="RangeSize"/>.</summary>
    public const int MaxRangeSize = 1_000_000;

    /// <summary>Units per work range; 0 lets the coordinator choose guided ranges.</summary>
    public int RangeSize { get; init; }

    /// <summary>Threads of the one-unit stages on the silo that runs them (0: all its cores); results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>What <c>summary.json</c> records as the X input (for example the user's own path); null: <see cref="X"/>.</summary>
    public string? XName { get; init; }

    /// <summary>What <c>summary.json</c> records as the Y input; null: <see cref="Y"/>.</summary>
    public string? YName { get; init; }

    /// <summary>The analysis options.</summary>
    public PpcaOptions ToOptions()
    {
        var defaults = new PpcaOptions();
        return defaults with
        {
            Bootstrap = Bootstrap ?? defaults.Bootstrap,
            Replicates = Replicates ?? defaults.Replicates,
            InnerBootstrap = InnerBootstrap,
            Seed = Seed ?? defaults.Seed,
            LeaveOneOut = string.Equals(Loo, "naive", StringComparison.OrdinalIgnoreCase) ? LeaveOneOutMethod.Naive : LeaveOneOutMethod.Fast,
            Threads = Threads,
        };
    }

    /// <summary>Every problem, each naming the field; empty when the run can start.</summary>
    public IReadOnlyList<string> Validate(string dataRoot)
    {
        var errors = new List<string>();
        KindChecks.InputFile(errors, dataRoot, "x", X);
        KindChecks.InputFile(errors, dataRoot, "y", Y);
        errors.AddRange(ToOptions().Validate());
        if (Loo is not (null or "fast" or "naive"))
        {
            errors.Add($"loo must be 'fast' or 'naive', got '{Loo}'");
        }

        if (RangeSize is < 0 or > MaxRangeSize)
        {
            errors.Add($"range_size must be 0 (automatic) to {MaxRangeSize}, got {RangeSize}");
        }

        return errors;
    }
}
