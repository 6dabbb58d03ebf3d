using MathNet.Numerics.LinearAlgebra;

namespace FaceCluster.Analysis;

/// <summary>The KL divergence at one check of the optimisation (every 50 iterations and the last).</summary>
/// <param name="Iteration">Zero-based iteration whose starting map the value describes.</param>
/// <param name="KlDivergence"><c>KL(P || Q)</c> against the un-exaggerated affinities.</param>
/// <param name="GradientNorm">Norm of the gain-scaled gradient of that iteration (scikit-learn's stopping quantity).</param>
/// <param name="Exaggerated">Whether the iteration ran with early exaggeration.</param>
public readonly record struct TsneCheckpoint(int Iteration, double KlDivergence, double GradientNorm, bool Exaggerated);

/// <summary>A t-SNE map and how its optimisation went.</summary>
public sealed class TsneResult
{
    internal TsneResult(RowMajorMatrix embedding, IReadOnlyList<TsneCheckpoint> checkpoints, int iterations, double learningRate, int neighbors)
    {
        Embedding = embedding;
        Checkpoints = checkpoints;
        Iterations = iterations;
        LearningRate = learningRate;
        Neighbors = neighbors;
    }

    /// <summary>The map: one row per input row, two columns.</summary>
    public RowMajorMatrix Embedding { get; }

    /// <summary>KL divergence every 50 iterations and at the end of each phase, in order.</summary>
    public IReadOnlyList<TsneCheckpoint> Checkpoints { get; }

    /// <summary>The final KL divergence (scikit-learn's <c>kl_divergence_</c>, but never exaggerated).</summary>
    public double KlDivergence => Checkpoints.Count == 0 ? double.NaN : Checkpoints[^1].KlDivergence;

    /// <summary>Iterations run (fewer than asked when a stopping rule fired).</summary>
    public int Iterations { get; }

    /// <summary>The learning rate used.</summary>
    public double LearningRate { get; }

    /// <summary>Nearest neighbours per point of the Barnes-Hut affinities; <c>n - 1</c> for the exact method.</summary>
    public int Neighbors { get; }
}

/// <summary>
/// t-distributed stochastic neighbour embedding into two dimensions (van der Maaten and Hinton 2008;
/// Barnes-Hut, van der Maaten 2014) reproducing scikit-learn's <c>TSNE</c> (1.2) step for step:
/// perplexity-calibrated Gaussian affinities (binary search on each precision to entropy
/// <c>log perplexity</c> within <c>1e-5</c>), symmetrised; Student-t (one degree of freedom) map
/// affinities; gradient descent with momentum 0.5 and exaggerated affinities for the first phase, then
/// momentum 0.8, per-coordinate gains (+0.2 when the step reverses, x0.8 otherwise, at least 0.01)
/// reset between phases; a check every 50 iterations that stops on a gradient norm at most
/// <see cref="TsneOptions.MinGradientNorm"/> or on no KL improvement for more than
/// <see cref="TsneOptions.IterationsWithoutProgress"/> iterations. Deterministic for a seed and
/// independent of the thread count. Differences from scikit-learn: computation in double throughout
/// (scikit-learn's Barnes-Hut runs in float32), exact PCA instead of randomized SVD, and reported KL
/// values never exaggerated (analysis.md section 12).
/// </summary>
public static class Tsne
{
    private const int CheckEvery = 50;
    private const double MinGain = 0.01;
    private const double InitialScale = 1e-4;

    /// <summary>Embeds the rows of <paramref name="data"/> (<c>n x p</c>, finite) into two dimensions.</summary>
    public static TsneResult Embed(double[,] data, TsneOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var m = new RowMajorMatrix(data.GetLength(0), data.GetLength(1));
        for (var i = 0; i < m.Rows; i++)
        {
            for (var j = 0; j < m.Columns; j++)
            {
                m[i, j] = data[i, j];
            }
        }

        return Embed(m, options, cancellationToken);
    }

    /// <summary>Embeds the rows of <paramref name="data"/> (<c>n x p</c>, finite) into two dimensions.</summary>
    /// <exception cref="ArgumentException">The options are invalid for these data (every reason is listed), or a value is not finite, or all rows are equal.</exception>
    public static TsneResult Embed(RowMajorMatrix data, TsneOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate(data.Rows, data.Columns);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors) + ".", nameof(options));
        }

        foreach (var v in data.Values)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException("t-SNE data must be finite.", nameof(data));
            }
        }

        var n = data.Rows;
        var threads = options.EffectiveThreads;
        TsneGradient objective;
        int neighbors;
        if (options.Method == TsneMethod.Exact)
        {
            objective = new ExactTsneGradient(TsneAffinities.ExactJoint(data, options.Perplexity, threads), n, threads);
            neighbors = n - 1;
        }
        else
        {
            var p = TsneAffinities.SparseJoint(data, options.Perplexity, threads, cancellationToken);
            objective = new BarnesHutTsneGradient(p, options.Theta, n, threads);
            neighbors = TsneAffinities.NeighborCount(n, options.Perplexity);
        }

        var y = options.Initialization == TsneInitialization.Pca ? PcaStart(data) : RandomStart(n, options.Seed);
        var learningRate = options.EffectiveLearningRate(n);
        var checkpoints = new List<TsneCheckpoint>();

        // Two calls of scikit-learn's _gradient_descent: exaggeration with momentum 0.5, then the rest with 0.8.
        var last = -1;
        if (options.ExaggerationIterations > 0)
        {
            last = Descend(objective, y, 0, options.ExaggerationIterations, 0.5, options.EarlyExaggeration, true, options.ExaggerationIterations, learningRate, options, checkpoints, cancellationToken);
        }

        if (last + 1 < options.Iterations)
        {
            last = Descend(objective, y, last + 1, options.Iterations, 0.8, 1.0, false, options.IterationsWithoutProgress, learningRate, options, checkpoints, cancellationToken);
        }

        var embedding = new RowMajorMatrix(n, 2, y);
        return new TsneResult(embedding, checkpoints, last + 1, learningRate, neighbors);
    }

    /// <summary>Iterations <c>[from, to)</c> of gradient descent with momentum and gains; returns the last iteration run.</summary>
    private static int Descend(
        TsneGradient objective,
        double[] y,
        int from,
        int to,
        double momentum,
        double exaggeration,
        bool exaggerated,
        int withoutProgress,
        double learningRate,
        TsneOptions options,
        List<TsneCheckpoint> checkpoints,
        CancellationToken cancellationToken)
    {
        var update = new double[y.Length];
        var gains = new double[y.Length];
        Array.Fill(gains, 1.0);
        var gradient = new double[y.Length];
        var bestError = double.MaxValue;
        var bestIteration = from;
        var i = from;
        for (; i < to; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var check = (i + 1) % CheckEvery == 0;
            var computeError = check || i == to - 1;
            var error = objective.Evaluate(y, exaggeration, computeError, gradient);
            var squaredNorm = 0.0;
            for (var c = 0; c < y.Length; c++)
            {
                var g = gradient[c];
                var gain = update[c] * g < 0.0 ? gains[c] + 0.2 : gains[c] * 0.8;
                gain = Math.Max(gain, MinGain);
                gains[c] = gain;
                g *= gain;
                squaredNorm += g * g;
                update[c] = (momentum * update[c]) - (learningRate * g);
                y[c] += update[c];
            }

            if (computeError)
            {
                checkpoints.Add(new TsneCheckpoint(i, error, Math.Sqrt(squaredNorm), exaggerated));
            }

            if (check)
            {
                if (error < bestError)
                {
                    bestError = error;
                    bestIteration = i;
                }
                else if (i - bestIteration > withoutProgress)
                {
                    return i;
                }

                if (Math.Sqrt(squaredNorm) <= options.MinGradientNorm)
                {
                    return i;
                }
            }
        }

        return i - 1;
    }

    /// <summary>
    /// The first two principal component scores, each oriented so that its largest absolute entry is
    /// positive (scikit-learn's <c>svd_flip</c>), divided by the population standard deviation of the
    /// first and multiplied by <c>1e-4</c>. The components come from the eigendecomposition of the
    /// centred cross-product matrix (p x p), exact where scikit-learn uses randomized SVD.
    /// </summary>
    internal static double[] PcaStart(RowMajorMatrix data)
    {
        var n = data.Rows;
        var p = data.Columns;
        var mean = new double[p];
        for (var i = 0; i < n; i++)
        {
            var row = data.Row(i);
            for (var j = 0; j < p; j++)
            {
                mean[j] += row[j];
            }
        }

        for (var j = 0; j < p; j++)
        {
            mean[j] /= n;
        }

        var cross = Matrix<double>.Build.Dense(p, p);
        var centred = new double[p];
        for (var i = 0; i < n; i++)
        {
            var row = data.Row(i);
            for (var j = 0; j < p; j++)
            {
                centred[j] = row[j] - mean[j];
            }

            for (var a = 0; a < p; a++)
            {
                for (var b = a; b < p; b++)
                {
                    cross[a, b] += centred[a] * centred[b];
                }
            }
        }

        for (var a = 0; a < p; a++)
        {
            for (var b = 0; b < a; b++)
            {
                cross[a, b] = cross[b, a];
            }
        }

        // Symmetric eigenvalues come in ascending order: the last two columns are the leading components.
        var vectors = cross.Evd(Symmetricity.Symmetric).EigenVectors;
        var y = new double[2 * n];
        for (var component = 0; component < 2; component++)
        {
            var column = p - 1 - component;
            for (var i = 0; i < n; i++)
            {
                var row = data.Row(i);
                var s = 0.0;
                for (var j = 0; j < p; j++)
                {
                    s += (row[j] - mean[j]) * vectors[j, column];
                }

                y[(2 * i) + component] = s;
            }

            var largest = 0;
            for (var i = 1; i < n; i++)
            {
                if (Math.Abs(y[(2 * i) + component]) > Math.Abs(y[(2 * largest) + component]))
                {
                    largest = i;
                }
            }

            if (y[(2 * largest) + component] < 0)
            {
                for (var i = 0; i < n; i++)
                {
                    y[(2 * i) + component] = -y[(2 * i) + component];
                }
            }
        }

        var sum = 0.0;
        for (var i = 0; i < n; i++)
        {
            sum += y[2 * i];
        }

        var m0 = sum / n;
        var squares = 0.0;
        for (var i = 0; i < n; i++)
        {
            var d = y[2 * i] - m0;
            squares += d * d;
        }

        var sd = Math.Sqrt(squares / n);
        if (!(sd > 0))
        {
            throw new ArgumentException("t-SNE with PCA initialization needs rows that are not all equal.", nameof(data));
        }

        var scale = InitialScale / sd;
        for (var c = 0; c < y.Length; c++)
        {
            y[c] *= scale;
        }

        return y;
    }

    /// <summary><c>1e-4</c> times standard normal draws, row by row, from the seeded t-SNE stream.</summary>
    private static double[] RandomStart(int n, ulong seed)
    {
        var random = new SeededRandom(seed, RandomPurpose.TsneInitialization, 0);
        var y = new double[2 * n];
        for (var c = 0; c < y.Length; c++)
        {
            y[c] = InitialScale * random.NextGaussian();
        }

        return y;
    }
}
