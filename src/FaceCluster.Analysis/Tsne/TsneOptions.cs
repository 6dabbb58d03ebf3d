namespace FaceCluster.Analysis;

/// <summary>How the t-SNE gradient is computed.</summary>
public enum TsneMethod
{
    /// <summary>
    /// Barnes-Hut (van der Maaten 2014): attraction over the symmetrised <c>int(3 perplexity + 1)</c>
    /// nearest-neighbour affinities, repulsion summarised by a quadtree with opening angle <c>theta</c>;
    /// O(n log n) per iteration. scikit-learn's default.
    /// </summary>
    BarnesHut,

    /// <summary>Exact gradient over all pairs (O(n^2) time per iteration, n^2 memory); for small n.</summary>
    Exact,
}

/// <summary>How the starting map of a t-SNE embedding is chosen.</summary>
public enum TsneInitialization
{
    /// <summary>
    /// The first two principal component scores, divided by the standard deviation of the first and
    /// scaled by <c>1e-4</c> (scikit-learn's <c>init="pca"</c>); no randomness.
    /// </summary>
    Pca,

    /// <summary><c>1e-4</c> times standard normal draws from the seeded stream (scikit-learn's <c>init="random"</c>).</summary>
    Random,
}

/// <summary>
/// Parameters of the t-SNE map of analysis.md section 12. The defaults are scikit-learn's
/// <c>TSNE</c> defaults (version 1.2): perplexity 30, early exaggeration 12 for the first 250 of
/// 1000 iterations, learning rate <c>max(n / 12 / 4, 50)</c>, PCA initialisation, Barnes-Hut with
/// <c>theta = 0.5</c>, minimum gradient norm <c>1e-7</c>, 300 iterations without progress.
/// </summary>
public sealed record TsneOptions
{
    /// <summary>Perplexity of each point's conditional distribution; must be below the number of points.</summary>
    public double Perplexity { get; init; } = 30.0;

    /// <summary>Factor on the affinities during the first <see cref="ExaggerationIterations"/> iterations.</summary>
    public double EarlyExaggeration { get; init; } = 12.0;

    /// <summary>Iterations with exaggerated affinities and momentum 0.5 (scikit-learn's fixed 250).</summary>
    public int ExaggerationIterations { get; init; } = 250;

    /// <summary>Total gradient-descent iterations, exaggeration included.</summary>
    public int Iterations { get; init; } = 1000;

    /// <summary>Step size; null means scikit-learn's <c>"auto"</c>: <c>max(n / EarlyExaggeration / 4, 50)</c>.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Barnes-Hut opening angle: a quadtree cell of width <c>w</c> at distance <c>d</c> is summarised when <c>w / d &lt; theta</c>.</summary>
    public double Theta { get; init; } = 0.5;

    /// <summary>Barnes-Hut (default) or exact gradients.</summary>
    public TsneMethod Method { get; init; } = TsneMethod.BarnesHut;

    /// <summary>PCA (default) or seeded random starting map.</summary>
    public TsneInitialization Initialization { get; init; } = TsneInitialization.Pca;

    /// <summary>Run seed of the random starting map (analysis.md section 10); PCA initialisation draws nothing.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Worker threads; 0 means all cores. Results are bit-identical for any value.</summary>
    public int Threads { get; init; }

    /// <summary>Optimisation stops at a check (every 50 iterations) whose gradient norm is at most this.</summary>
    public double MinGradientNorm { get; init; } = 1e-7;

    /// <summary>After exaggeration, optimisation stops when the KL divergence has not improved for more than this many iterations.</summary>
    public int IterationsWithoutProgress { get; init; } = 300;

    /// <summary>Most iterations a request may ask for.</summary>
    public const int MaxIterations = 100_000;

    /// <summary>Most worker threads a request may ask for.</summary>
    public const int MaxThreads = 512;

    /// <summary>Most points of an exact embedding: it holds n x n affinities (8 n^2 bytes).</summary>
    public const int MaxExactPoints = 10_000;

    /// <summary>Resolved thread count.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>The learning rate used for <paramref name="points"/> points.</summary>
    public double EffectiveLearningRate(int points) => LearningRate ?? Math.Max(points / EarlyExaggeration / 4.0, 50.0);

    /// <summary>
    /// Every reason these options are unusable, each naming the option and its range; empty when valid.
    /// With <paramref name="points"/> (and <paramref name="columns"/>) the checks that depend on the data are made too.
    /// </summary>
    public IReadOnlyList<string> Validate(int? points = null, int? columns = null)
    {
        var errors = new List<string>();
        if (!double.IsFinite(Perplexity) || Perplexity <= 0)
        {
            errors.Add($"perplexity must be a finite number above 0, got {Perplexity}");
        }
        else if (points is { } n && Perplexity >= n)
        {
            errors.Add($"perplexity must be less than the number of points ({n}), got {Perplexity}");
        }

        if (!double.IsFinite(EarlyExaggeration) || EarlyExaggeration < 1)
        {
            errors.Add($"early exaggeration must be a finite number, 1 or more, got {EarlyExaggeration}");
        }

        if (Iterations is < 1 or > MaxIterations)
        {
            errors.Add($"iterations must be 1 to {MaxIterations}, got {Iterations}");
        }

        if (ExaggerationIterations < 0 || ExaggerationIterations > Math.Max(Iterations, 0))
        {
            errors.Add($"exaggeration iterations must be 0 to the number of iterations ({Iterations}), got {ExaggerationIterations}");
        }

        if (LearningRate is { } rate && (!double.IsFinite(rate) || rate <= 0))
        {
            errors.Add($"learning rate must be a finite number above 0 (or unset for max(n / early exaggeration / 4, 50)), got {rate}");
        }

        if (!(Theta >= 0 && Theta <= 1))
        {
            errors.Add($"theta must be 0 to 1, got {Theta}");
        }

        if (!Enum.IsDefined(Method))
        {
            errors.Add($"method must be barnes-hut or exact, got {(int)Method}");
        }

        if (!Enum.IsDefined(Initialization))
        {
            errors.Add($"initialization must be pca or random, got {(int)Initialization}");
        }

        if (Threads is < 0 or > MaxThreads)
        {
            errors.Add($"threads must be 0 (all cores) to {MaxThreads}, got {Threads}");
        }

        if (!double.IsFinite(MinGradientNorm) || MinGradientNorm < 0)
        {
            errors.Add($"minimum gradient norm must be a finite number, 0 or more, got {MinGradientNorm}");
        }

        if (IterationsWithoutProgress is < 1 or > MaxIterations)
        {
            errors.Add($"iterations without progress must be 1 to {MaxIterations}, got {IterationsWithoutProgress}");
        }

        if (points is { } count)
        {
            if (count < 2)
            {
                errors.Add($"t-SNE needs at least 2 points, got {count}");
            }

            if (Method == TsneMethod.Exact && count > MaxExactPoints)
            {
                errors.Add($"the exact method allows at most {MaxExactPoints} points (it holds n x n affinities), got {count}; use barnes-hut");
            }
        }

        if (columns is { } p)
        {
            if (p < 1)
            {
                errors.Add($"t-SNE needs at least 1 column, got {p}");
            }
            else if (Initialization == TsneInitialization.Pca && p < 2)
            {
                errors.Add($"pca initialization needs at least 2 columns for a 2-D map, got {p}; use random initialization");
            }
        }

        return errors;
    }
}
