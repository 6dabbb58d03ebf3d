namespace FaceCluster.Analysis.Tests;

public class DimensionBootstrapTests
{
    [Fact]
    public void Same_seed_gives_identical_arrays_for_any_thread_count()
    {
        var (x, y) = TestData.Correlated(120, [1.0, 0.3, 0.0, 0.6], seed: 31);
        var one = DimensionBootstrap.Run(x, y, default, 64, 7, RandomPurpose.DimensionBootstrap, 0, threads: 1);
        var two = DimensionBootstrap.Run(x, y, default, 64, 7, RandomPurpose.DimensionBootstrap, 0, threads: 2);
        var three = DimensionBootstrap.Run(x, y, default, 64, 7, RandomPurpose.DimensionBootstrap, 0, threads: 3);
        foreach (var other in new[] { two, three })
        {
            Assert.Equal(one.R, other.R);
            Assert.Equal(one.P, other.P);
            Assert.Equal(one.Sd, other.Sd);
            Assert.Equal(one.Snr, other.Snr);
        }

        var otherSeed = DimensionBootstrap.Run(x, y, default, 64, 8, RandomPurpose.DimensionBootstrap, 0, threads: 1);
        Assert.NotEqual(one.Sd, otherSeed.Sd);
        var otherReplicate = DimensionBootstrap.Run(x, y, default, 64, 7, RandomPurpose.DimensionBootstrap, 1, threads: 1);
        Assert.NotEqual(one.Sd, otherReplicate.Sd);
    }

    [Fact]
    public void Each_resample_is_the_partial_spearman_of_its_expanded_rows()
    {
        var (x, y) = TestData.Correlated(40, [1.0, 0.0, 0.5], seed: 32);
        var draws = DimensionBootstrap.Draws(x, y, default, 6, 99, RandomPurpose.InnerBootstrap, 5, 2, null, out var point);
        Assert.Equal(PartialCorrelation.PartialSpearman(x, y), point);
        var rowToStimulus = Resampling.RowToStimulus(default, x.Rows);
        var counts = new int[x.Rows];
        for (var b = 0; b < 6; b++)
        {
            var random = new SeededRandom(99, RandomPurpose.InnerBootstrap, 5, stream: b);
            Resampling.DrawMultiplicities(ref random, rowToStimulus, counts);
            var expected = PartialCorrelation.PartialPearsonByResiduals(
                TestData.RankColumns(TestData.Expand(x, counts)), TestData.RankColumns(TestData.Expand(y, counts)));
            for (var j = 0; j < x.Columns; j++)
            {
                Assert.Equal(expected[j], draws[(b * x.Columns) + j], 1e-10);
            }
        }
    }

    [Fact]
    public void Weighted_rows_resample_like_the_expanded_table()
    {
        var (x, y) = TestData.Correlated(30, [0.8, 0.4], seed: 33);
        var weights = Enumerable.Range(0, x.Rows).Select(i => 1 + (i % 3)).ToArray();
        var weighted = DimensionBootstrap.Run(x, y, weights, 40, 5, RandomPurpose.InnerBootstrap, 2, threads: 2);
        var expanded = DimensionBootstrap.Run(TestData.Expand(x, weights), TestData.Expand(y, weights), default, 40, 5, RandomPurpose.InnerBootstrap, 2, threads: 1);
        for (var j = 0; j < x.Columns; j++)
        {
            Assert.Equal(expanded.R[j], weighted.R[j], 1e-12);
            Assert.Equal(expanded.P[j], weighted.P[j]);
            Assert.Equal(expanded.Sd[j], weighted.Sd[j], 1e-12);
        }
    }

    [Fact]
    public void Strong_dimension_gets_p_zero_and_a_null_dimension_p_near_one_half()
    {
        // Rows come in mirrored pairs: x1, y1, x2 equal within a pair and y2 of opposite sign, so the
        // partial Spearman correlation of dimension 2 is exactly 0 on the data.
        const int pairs = 150;
        var random = new SeededRandom(34, RandomPurpose.SyntheticData, 0);
        var x = new RowMajorMatrix(2 * pairs, 2);
        var y = new RowMajorMatrix(2 * pairs, 2);
        for (var i = 0; i < pairs; i++)
        {
            var common = random.NextGaussian();
            var x1 = common + (0.3 * random.NextGaussian());
            var y1 = common + (0.3 * random.NextGaussian());
            var x2 = random.NextGaussian();
            var y2 = random.NextGaussian();
            foreach (var (row, sign) in new[] { (2 * i, 1.0), ((2 * i) + 1, -1.0) })
            {
                x[row, 0] = x1;
                y[row, 0] = y1;
                x[row, 1] = x2;
                y[row, 1] = sign * y2;
            }
        }

        var result = DimensionBootstrap.Run(x, y, default, 400, 3, RandomPurpose.DimensionBootstrap, 0, threads: 2);
        Assert.True(result.R[0] > 0.8);
        Assert.Equal(0.0, result.P[0]);
        Assert.True(result.Snr[0] > 3);
        Assert.Equal(0.0, result.R[1], 1e-12);
        Assert.InRange(result.P[1], 0.4, 0.6);
        Assert.InRange(result.Snr[1], -1e-9, 1e-9);
        Assert.All(result.P, p => Assert.InRange(p, 0.0, 1.0));
    }

    [Fact]
    public void Noise_p_values_are_probabilities_and_sd_is_about_one_over_root_n()
    {
        var (x, y) = TestData.Correlated(400, [0.0, 0.0, 0.0], seed: 35);
        var result = DimensionBootstrap.Run(x, y, default, 200, 1, RandomPurpose.DimensionBootstrap, 0, threads: 2);
        foreach (var j in Enumerable.Range(0, 3))
        {
            Assert.InRange(result.P[j], 0.0, 1.0);
            Assert.InRange(result.Sd[j], 0.5 / Math.Sqrt(400), 2.0 / Math.Sqrt(400));
            Assert.Equal(result.R[j] / result.Sd[j], result.Snr[j]);
        }
    }

    [Fact]
    public void Zero_spread_gives_infinite_signal_to_noise()
    {
        var (x, _) = TestData.Correlated(25, [0.0, 0.0], seed: 36);
        var y = x.Clone();
        for (var i = 0; i < y.Rows; i++)
        {
            y[i, 1] = -Math.Exp(x[i, 1]); // perfectly decreasing
        }

        var result = DimensionBootstrap.Run(x, y, default, 50, 2, RandomPurpose.DimensionBootstrap, 0, threads: 1);
        Assert.Equal(0.0, result.Sd[0]);
        Assert.Equal(double.PositiveInfinity, result.Snr[0]);
        Assert.Equal(0.0, result.P[0]);
        Assert.Equal(0.0, result.Sd[1]);
        Assert.Equal(double.NegativeInfinity, result.Snr[1]);
        Assert.Equal(1.0, result.P[1]);

        Assert.True(double.IsNaN(DimensionBootstrap.SignalToNoise(0.0, 0.0)));
        Assert.Equal(double.PositiveInfinity, DimensionBootstrap.SignalToNoise(0.2, 0.0));
        Assert.Equal(double.NegativeInfinity, DimensionBootstrap.SignalToNoise(-0.2, 0.0));
        Assert.True(double.IsNaN(DimensionBootstrap.SignalToNoise(double.NaN, 0.1)));
        Assert.Equal(2.0, DimensionBootstrap.SignalToNoise(0.2, 0.1), 1e-15);
    }

    [Fact]
    public void Nan_draws_never_count_as_positive_and_make_sd_nan()
    {
        var draws = new[] { 0.5, double.NaN, 0.2, 0.1, -0.1, 0.3 }; // B = 3, k = 2: dimension 2 has one NaN
        var summary = DimensionBootstrap.Summarise([0.4, 0.2], draws, 3);
        Assert.Equal(1.0 - (2.0 / 3.0), summary.P[0], 1e-15);
        Assert.Equal(1.0 - (2.0 / 3.0), summary.P[1], 1e-15);
        Assert.Equal(Math.Sqrt(((0.5 - 0.2) * (0.5 - 0.2) + 0 + (0.1 + 0.2) * (0.1 + 0.2)) / 2), summary.Sd[0], 1e-15);
        Assert.True(double.IsNaN(summary.Sd[1]));
        Assert.True(double.IsNaN(summary.Snr[1]));
    }

    [Fact]
    public void Progress_reaches_the_number_of_resamples()
    {
        var (x, y) = TestData.Correlated(30, [0.5], seed: 37);
        var reports = new System.Collections.Concurrent.ConcurrentBag<int>();
        DimensionBootstrap.Run(x, y, default, 20, 1, RandomPurpose.DimensionBootstrap, 0, 2, new SyncProgress(reports.Add));
        Assert.Equal(20, reports.Max());
    }

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
