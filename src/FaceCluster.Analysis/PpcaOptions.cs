namespace FaceCluster.Analysis;

/// <summary>Parameters of a PPCA analysis (analysis.md sections 1-7, and the shared threshold of section 12).</summary>
public sealed record PpcaOptions
{
    /// <summary>Dimension-bootstrap resamples <c>B</c> (section 4).</summary>
    public int Bootstrap { get; init; } = 1000;

    /// <summary>Loading-significance replicates <c>R</c> (section 7); 0 skips section 7.</summary>
    public int Replicates { get; init; } = 1000;

    /// <summary>Inner bootstrap resamples per replicate; null means <see cref="Bootstrap"/>.</summary>
    public int? InnerBootstrap { get; init; }

    /// <summary>The run seed of every random stream (section 10).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>How leave-one-out fits are computed.</summary>
    public LeaveOneOutMethod LeaveOneOut { get; init; } = LeaveOneOutMethod.Fast;

    /// <summary>Worker threads; 0 means all cores. Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Most dimensions tested: <c>k = min(MaxDimensions, p)</c>.</summary>
    public int MaxDimensions { get; init; } = 48;

    /// <summary>Level of Benjamini-Hochberg and ForwardStop (section 5).</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>A dimension needs <c>snr</c> above this (section 5).</summary>
    public double SnrThreshold { get; init; } = 3.0;

    /// <summary>
    /// A rotated dimension is shared across countries when the correlation <c>r_{d,a}</c> of each country's loadings
    /// with the mean loadings reaches this in every country (section 12); otherwise it is culture-specific.
    /// </summary>
    public double SharedThreshold { get; init; } = PpcaInterpretation.DefaultSharedThreshold;

    /// <summary>Most resamples of a bootstrap (100 times the paper's 1000): bounds the time and memory one request can claim.</summary>
    public const int MaxResamples = 100_000;

    /// <summary>Most loading-significance replicates (10 times the paper's 1000): each keeps its loadings until aggregation.</summary>
    public const int MaxReplicates = 10_000;

    /// <summary>Most worker threads a request may ask for.</summary>
    public const int MaxThreads = 512;

    /// <summary>Most dimensions tested.</summary>
    public const int MaxTestedDimensions = 4096;

    /// <summary>Resolved inner bootstrap size.</summary>
    public int InnerBootstrapResamples => InnerBootstrap ?? Bootstrap;

    /// <summary>Resolved thread count.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>Every reason these options are unusable, each naming the option; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Bootstrap is < 2 or > MaxResamples)
        {
            errors.Add($"bootstrap must be 2 to {MaxResamples} (a standard deviation needs two resamples), got {Bootstrap}");
        }

        if (Replicates is < 0 or > MaxReplicates)
        {
            errors.Add($"replicates must be 0 (skip loading significance) to {MaxReplicates}, got {Replicates}");
        }

        if (InnerBootstrap is < 2 or > MaxResamples)
        {
            errors.Add($"inner_bootstrap must be 2 to {MaxResamples}, got {InnerBootstrap}");
        }

        if (Threads is < 0 or > MaxThreads)
        {
            errors.Add($"threads must be 0 (all cores) to {MaxThreads}, got {Threads}");
        }

        if (MaxDimensions is < 1 or > MaxTestedDimensions)
        {
            errors.Add($"the number of tested dimensions must be 1 to {MaxTestedDimensions}, got {MaxDimensions}");
        }

        if (!double.IsFinite(SnrThreshold) || SnrThreshold < 0)
        {
            errors.Add($"the snr threshold must be a finite number, 0 or more, got {SnrThreshold}");
        }

        if (!(SharedThreshold >= -1 && SharedThreshold <= 1))
        {
            errors.Add($"the shared threshold is a correlation and must lie in [-1, 1], got {SharedThreshold}");
        }

        if (!(Alpha > 0 && Alpha < 1))
        {
            errors.Add($"alpha must lie in (0, 1), got {Alpha}");
        }

        return errors;
    }
}

/// <summary>Receives progress of the long stages of an analysis.</summary>
public interface IAnalysisProgress
{
    /// <summary><paramref name="completed"/> of <paramref name="total"/> units of <paramref name="stage"/> are done.</summary>
    void Report(string stage, long completed, long total);
}
