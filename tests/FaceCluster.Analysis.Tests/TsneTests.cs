using System.Diagnostics;
using System.Text.Json;

namespace FaceCluster.Analysis.Tests;

public class TsneTests
{
    [Theory]
    [InlineData(TsneMethod.Exact)]
    [InlineData(TsneMethod.BarnesHut)]
    public void Well_separated_clusters_embed_with_high_trustworthiness(TsneMethod method)
    {
        var (data, labels) = Clusters(5, 60, 10, 8.0, 17);
        var result = Tsne.Embed(data, new TsneOptions { Method = method });

        Assert.Equal(300, result.Embedding.Rows);
        Assert.Equal(2, result.Embedding.Columns);
        Assert.Equal(1000, result.Iterations);
        Assert.Equal(50, result.LearningRate); // max(300 / 12 / 4, 50)
        Assert.Equal(method == TsneMethod.Exact ? 299 : 91, result.Neighbors);
        var trust = Trustworthiness.Compute(data, result.Embedding, 5);
        Assert.True(trust >= 0.9, $"trustworthiness {trust}");

        // Each point's nearest map neighbour is in its own cluster.
        var misplaced = 0;
        for (var i = 0; i < data.Rows; i++)
        {
            var best = -1;
            var bestDistance = double.PositiveInfinity;
            for (var j = 0; j < data.Rows; j++)
            {
                var d = TsneAffinities.SquaredDistance(result.Embedding.Row(i), result.Embedding.Row(j));
                if (j != i && d < bestDistance)
                {
                    bestDistance = d;
                    best = j;
                }
            }

            misplaced += labels[best] == labels[i] ? 0 : 1;
        }

        Assert.True(misplaced <= 3, $"{misplaced} points sit next to another cluster");
    }

    [Fact]
    public void Same_seed_gives_bit_identical_maps_whatever_the_thread_count()
    {
        var (data, _) = Clusters(4, 50, 6, 4.0, 5);
        foreach (var method in new[] { TsneMethod.BarnesHut, TsneMethod.Exact })
        {
            foreach (var init in new[] { TsneInitialization.Pca, TsneInitialization.Random })
            {
                var options = new TsneOptions { Method = method, Initialization = init, Seed = 9, Iterations = 400, Threads = 1 };
                var one = Tsne.Embed(data, options);
                var again = Tsne.Embed(data, options);
                var three = Tsne.Embed(data, options with { Threads = 3 });
                var eight = Tsne.Embed(data, options with { Threads = 8 });
                Assert.Equal(one.Embedding.Values, again.Embedding.Values);
                Assert.Equal(one.Embedding.Values, three.Embedding.Values);
                Assert.Equal(one.Embedding.Values, eight.Embedding.Values);
                Assert.Equal(one.Checkpoints, eight.Checkpoints);
            }
        }

        // The seed matters for a random start, and nothing else draws.
        var random = new TsneOptions { Initialization = TsneInitialization.Random, Iterations = 300 };
        Assert.NotEqual(Tsne.Embed(data, random with { Seed = 1 }).Embedding.Values, Tsne.Embed(data, random with { Seed = 2 }).Embedding.Values);
        var pca = new TsneOptions { Iterations = 300 };
        Assert.Equal(Tsne.Embed(data, pca with { Seed = 1 }).Embedding.Values, Tsne.Embed(data, pca with { Seed = 2 }).Embedding.Values);
    }

    [Theory]
    [InlineData(TsneMethod.Exact)]
    [InlineData(TsneMethod.BarnesHut)]
    public void Kl_divergence_is_reported_every_50_iterations_and_falls_after_exaggeration(TsneMethod method)
    {
        var (data, _) = Clusters(3, 40, 8, 3.0, 23);
        var result = Tsne.Embed(data, new TsneOptions { Method = method });

        Assert.Equal(Enumerable.Range(1, 20).Select(c => (50 * c) - 1), result.Checkpoints.Select(c => c.Iteration));
        Assert.All(result.Checkpoints, c => Assert.Equal(c.Iteration < 250, c.Exaggerated));
        Assert.All(result.Checkpoints, c => Assert.True(double.IsFinite(c.KlDivergence) && c.KlDivergence >= 0, $"KL {c.KlDivergence}"));
        var after = result.Checkpoints.Where(c => !c.Exaggerated).ToList();
        Assert.True(after[^1].KlDivergence < after[0].KlDivergence, $"KL {after[0].KlDivergence} -> {after[^1].KlDivergence}");
        Assert.Equal(after[^1].KlDivergence, result.KlDivergence);
    }

    [Fact]
    public void Affinities_match_scikit_learn()
    {
        var f = Fixture.Load();
        var data = f.Matrix("data");
        var perplexity = f.Number("perplexity");
        var n = data.Rows;

        var conditional = TsneAffinities.ConditionalDense(data, perplexity, 2);
        AssertClose(f.Matrix("conditional_p").Values, conditional, 1e-10);

        var joint = TsneAffinities.ExactJoint(data, perplexity, 2);
        AssertClose(f.Matrix("joint_p").Values, joint, 1e-10);

        Assert.Equal((int)f.Number("neighbors"), TsneAffinities.NeighborCount(n, perplexity));
        var sparse = TsneAffinities.SparseJoint(data, perplexity, 2, CancellationToken.None);
        AssertClose(f.Matrix("joint_p_nn").Values, Dense(sparse, n), 1e-10);
    }

    [Fact]
    public void Exact_kl_and_gradient_of_a_fixed_map_match_scikit_learn()
    {
        var f = Fixture.Load();
        var data = f.Matrix("data");
        var n = data.Rows;
        var y = f.Matrix("embedding").Values;
        var gradient = new double[2 * n];
        var exact = new ExactTsneGradient(TsneAffinities.ExactJoint(data, f.Number("perplexity"), 2), n, 2);
        var kl = exact.Evaluate(y, 1.0, true, gradient);
        Assert.Equal(f.Number("exact_kl"), kl, 1e-10);
        AssertClose(f.Matrix("exact_gradient").Values, gradient, 1e-10 * MaxAbs(gradient));

        // scikit-learn's Barnes-Hut runs in float32: agreement to its precision, not to 1e-10.
        var sparse = TsneAffinities.SparseJoint(data, f.Number("perplexity"), 2, CancellationToken.None);
        var barnesHut = new BarnesHutTsneGradient(sparse, 0.5, n, 2);
        var bhKl = barnesHut.Evaluate(y, 1.0, true, gradient);
        Assert.Equal(f.Number("barnes_hut_kl"), bhKl, 1e-5);
        AssertClose(f.Matrix("barnes_hut_gradient").Values, gradient, 1e-3 * MaxAbs(gradient));

        Assert.Equal(f.Number("trustworthiness_5"), Trustworthiness.Compute(data, f.Matrix("embedding"), 5), 1e-12);
    }

    [Theory]
    [InlineData(TsneMethod.Exact, "run_exact")]
    [InlineData(TsneMethod.BarnesHut, "run_barnes_hut")]
    public void A_whole_run_reaches_an_optimum_as_good_as_scikit_learns(TsneMethod method, string reference)
    {
        var f = Fixture.Load();
        var data = f.Matrix("data");
        var result = Tsne.Embed(data, new TsneOptions { Perplexity = f.Number("perplexity"), Method = method });
        var sklearn = f.Vector(reference + "_kl");

        // scikit-learn's n_iter_ is the last zero-based iteration.
        Assert.Equal(f.Number(reference + "_iterations") + 1, result.Iterations);

        // Final KL depends on the start far more than on the implementation (scikit-learn's own runs
        // span 0.14 to 0.19), so the run must land within the spread of scikit-learn's runs.
        Assert.InRange(result.KlDivergence, 0.95 * sklearn.Min(), 1.05 * sklearn.Max());
        Assert.True(Trustworthiness.Compute(data, result.Embedding, 5) >= f.Number("run_exact_trustworthiness_5") - 0.03);
    }

    [Fact]
    public void Barnes_hut_with_theta_zero_is_the_exact_gradient_of_the_sparse_affinities()
    {
        var (data, _) = Clusters(3, 30, 4, 2.0, 31);
        var n = data.Rows;
        var sparse = TsneAffinities.SparseJoint(data, 10, 1, CancellationToken.None);
        var dense = Dense(sparse, n);
        var random = new SeededRandom(3, RandomPurpose.SyntheticData, 7);
        var y = new double[2 * n];
        for (var c = 0; c < y.Length; c++)
        {
            y[c] = random.NextGaussian();
        }

        var bh = new double[2 * n];
        var bhKl = new BarnesHutTsneGradient(sparse, 0.0, n, 1).Evaluate(y, 4.0, true, bh);

        // Direct sums over all pairs.
        var z = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                z += i == j ? 0 : W(y, i, j);
            }
        }

        var kl = 0.0;
        for (var i = 0; i < n; i++)
        {
            double gx = 0, gy = 0;
            for (var j = 0; j < n; j++)
            {
                if (i == j)
                {
                    continue;
                }

                var w = W(y, i, j);
                var p = dense[(i * n) + j];
                gx += ((4.0 * p) - (w / z)) * w * (y[2 * i] - y[2 * j]);
                gy += ((4.0 * p) - (w / z)) * w * (y[(2 * i) + 1] - y[(2 * j) + 1]);
                kl += p > 0 ? p * Math.Log(p / (w / z)) : 0;
            }

            Assert.Equal(4 * gx, bh[2 * i], 1e-12);
            Assert.Equal(4 * gy, bh[(2 * i) + 1], 1e-12);
        }

        Assert.Equal(kl, bhKl, 1e-12);

        // With theta = 0.5 the summaries change the gradient only a little.
        var approx = new double[2 * n];
        new BarnesHutTsneGradient(sparse, 0.5, n, 1).Evaluate(y, 4.0, false, approx);
        AssertClose(bh, approx, 0.02 * MaxAbs(bh));
        Assert.NotEqual(bh, approx);

        static double W(double[] y, int i, int j)
        {
            var dx = y[2 * i] - y[2 * j];
            var dy = y[(2 * i) + 1] - y[(2 * j) + 1];
            return 1.0 / (1.0 + (dx * dx) + (dy * dy));
        }
    }

    [Fact]
    public void Pca_start_has_first_column_standard_deviation_1e_minus_4()
    {
        var (data, _) = Clusters(3, 20, 5, 3.0, 2);
        var y = Tsne.PcaStart(data);
        var first = Enumerable.Range(0, data.Rows).Select(i => y[2 * i]).ToArray();
        var mean = first.Average();
        var sd = Math.Sqrt(first.Sum(v => (v - mean) * (v - mean)) / first.Length);
        Assert.Equal(1e-4, sd, 1e-16);
        Assert.Equal(0, mean, 1e-18);

        // Its largest absolute entry is positive, and the second component is no wider than the first.
        Assert.True(first.MaxBy(Math.Abs) > 0);
        var second = Enumerable.Range(0, data.Rows).Select(i => y[(2 * i) + 1]).ToArray();
        Assert.True(second.Sum(v => v * v) <= first.Sum(v => v * v));
    }

    [Fact]
    public void Trustworthiness_is_one_for_an_isometry_and_lower_for_a_shuffle()
    {
        var data = TestData.Gaussian(40, 2, 4);
        var rotated = new RowMajorMatrix(40, 2);
        for (var i = 0; i < 40; i++)
        {
            rotated[i, 0] = (0.6 * data[i, 0]) - (0.8 * data[i, 1]) + 3;
            rotated[i, 1] = (0.8 * data[i, 0]) + (0.6 * data[i, 1]);
        }

        Assert.Equal(1.0, Trustworthiness.Compute(data, rotated, 5), 1e-15);
        var shuffled = TestData.Gaussian(40, 2, 5);
        Assert.True(Trustworthiness.Compute(data, shuffled, 5) < 0.8);
        Assert.Throws<ArgumentOutOfRangeException>(() => Trustworthiness.Compute(data, rotated, 20));
    }

    [Fact]
    public void Options_validation_names_each_option_and_its_range()
    {
        Assert.Empty(new TsneOptions().Validate(4659, 28));
        var bad = new TsneOptions
        {
            Perplexity = 0,
            EarlyExaggeration = 0.5,
            Iterations = 0,
            ExaggerationIterations = -1,
            LearningRate = -3,
            Theta = 1.5,
            Threads = -1,
            MinGradientNorm = double.NaN,
            IterationsWithoutProgress = 0,
            Method = (TsneMethod)7,
            Initialization = (TsneInitialization)9,
        };
        var errors = bad.Validate();
        Assert.Equal(11, errors.Count);
        Assert.Contains("perplexity must be a finite number above 0, got 0", errors);
        Assert.Contains("early exaggeration must be a finite number, 1 or more, got 0.5", errors);
        Assert.Contains($"iterations must be 1 to {TsneOptions.MaxIterations}, got 0", errors);
        Assert.Contains("exaggeration iterations must be 0 to the number of iterations (0), got -1", errors);
        Assert.Contains(errors, e => e.StartsWith("learning rate must be a finite number above 0", StringComparison.Ordinal) && e.EndsWith("got -3", StringComparison.Ordinal));
        Assert.Contains("theta must be 0 to 1, got 1.5", errors);
        Assert.Contains($"threads must be 0 (all cores) to {TsneOptions.MaxThreads}, got -1", errors);
        Assert.Contains("minimum gradient norm must be a finite number, 0 or more, got NaN", errors);
        Assert.Contains($"iterations without progress must be 1 to {TsneOptions.MaxIterations}, got 0", errors);
        Assert.Contains("method must be barnes-hut or exact, got 7", errors);
        Assert.Contains("initialization must be pca or random, got 9", errors);

        // Checks that need the data.
        Assert.Equal(["perplexity must be less than the number of points (30), got 30"], new TsneOptions().Validate(30, 5));
        Assert.Equal(["pca initialization needs at least 2 columns for a 2-D map, got 1; use random initialization"], new TsneOptions { Perplexity = 5 }.Validate(30, 1));
        Assert.Empty(new TsneOptions { Perplexity = 5, Initialization = TsneInitialization.Random }.Validate(30, 1));
        Assert.Equal(
            [$"the exact method allows at most {TsneOptions.MaxExactPoints} points (it holds n x n affinities), got 20000; use barnes-hut"],
            new TsneOptions { Method = TsneMethod.Exact }.Validate(20000, 3));
        Assert.Equal(["exaggeration iterations must be 0 to the number of iterations (100), got 250"], new TsneOptions { Iterations = 100 }.Validate(100, 3));

        var small = TestData.Gaussian(20, 3, 1);
        var thrown = Assert.Throws<ArgumentException>(() => Tsne.Embed(small, new TsneOptions { Theta = 2 }));
        Assert.StartsWith("perplexity must be less than the number of points (20), got 30; theta must be 0 to 1, got 2.", thrown.Message, StringComparison.Ordinal);
        small[3, 1] = double.NaN;
        Assert.Throws<ArgumentException>(() => Tsne.Embed(small, new TsneOptions { Perplexity = 5 }));
    }

    [Theory]
    [InlineData(TsneMethod.Exact)]
    [InlineData(TsneMethod.BarnesHut)]
    public void Cancellation_stops_the_optimisation(TsneMethod method)
    {
        var (data, _) = Clusters(3, 40, 5, 3.0, 8);
        using var source = new CancellationTokenSource();
        source.Cancel();
        Assert.Throws<OperationCanceledException>(() => Tsne.Embed(data, new TsneOptions { Method = method, Threads = 4 }, source.Token));
    }

    /// <summary>The report's size (4,659 seeds x 28 dimensions), timed; run explicitly (Release).</summary>
    [Fact(Explicit = true)]
    public void Benchmark_barnes_hut_4659_points_28_dimensions()
    {
        var (data, _) = Clusters(28, 4659 / 28, 28, 2.5, 99, extra: 4659 % 28);
        Assert.Equal(4659, data.Rows);
        var affinities = Stopwatch.StartNew();
        TsneAffinities.SparseJoint(data, 30, Environment.ProcessorCount, CancellationToken.None);
        Console.WriteLine($"TSNE-BENCHMARK affinities seconds={affinities.Elapsed.TotalSeconds:F2}");
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var result = Tsne.Embed(data, new TsneOptions());
        watch.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var trust = Trustworthiness.Compute(data, result.Embedding, 5);
        TestContext.Current.SendDiagnosticMessage(
            $"t-SNE Barnes-Hut 4659 x 28: {watch.Elapsed.TotalSeconds:F2} s on {Environment.ProcessorCount} cores, KL {result.KlDivergence:F4}, trustworthiness {trust:F4}");
        Console.WriteLine($"TSNE-BENCHMARK seconds={watch.Elapsed.TotalSeconds:F2} cpu_seconds={cpu.TotalSeconds:F2} cores={Environment.ProcessorCount} kl={result.KlDivergence:R} trust={trust:F4} y0={result.Embedding.Values[0]:R} y1={result.Embedding.Values[^1]:R}");
        Assert.True(trust > 0.9);
    }

    /// <summary><paramref name="clusters"/> Gaussian clusters (unit noise) around centres drawn with standard deviation <paramref name="spread"/>.</summary>
    private static (RowMajorMatrix Data, int[] Labels) Clusters(int clusters, int size, int columns, double spread, ulong seed, int extra = 0)
    {
        var random = new SeededRandom(seed, RandomPurpose.SyntheticData, 11);
        var centres = new double[clusters, columns];
        for (var c = 0; c < clusters; c++)
        {
            for (var j = 0; j < columns; j++)
            {
                centres[c, j] = spread * random.NextGaussian();
            }
        }

        var n = (clusters * size) + extra;
        var data = new RowMajorMatrix(n, columns);
        var labels = new int[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = i % clusters;
            for (var j = 0; j < columns; j++)
            {
                data[i, j] = centres[labels[i], j] + random.NextGaussian();
            }
        }

        return (data, labels);
    }

    private static double[] Dense(SparseAffinities p, int n)
    {
        var dense = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var t = p.RowStart[i]; t < p.RowStart[i + 1]; t++)
            {
                dense[(i * n) + p.Columns[t]] = p.Values[t];
            }
        }

        return dense;
    }

    private static double MaxAbs(double[] values) => values.Max(Math.Abs);

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"entry {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance})");
        }
    }

    /// <summary>tests/FaceCluster.Analysis.Tests/Fixtures/tsne_reference.json, written by scripts/fixtures/tsne_reference.py.</summary>
    private sealed class Fixture
    {
        private readonly JsonElement _root;

        private Fixture(JsonElement root) => _root = root;

        public static Fixture Load()
        {
            var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tsne_reference.json");
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return new Fixture(document.RootElement.Clone());
        }

        public double Number(string name) => _root.GetProperty(name).GetDouble();

        public double[] Vector(string name) => _root.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();

        public RowMajorMatrix Matrix(string name) =>
            RowMajorMatrix.FromRows(_root.GetProperty(name).EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList());
    }
}
