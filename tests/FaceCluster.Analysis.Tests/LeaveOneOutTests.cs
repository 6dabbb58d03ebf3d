using FaceCluster.Analysis.Tests.Support;

namespace FaceCluster.Analysis.Tests;

public class LeaveOneOutTests
{
    [Fact]
    public void Fast_equals_naive_refit_on_well_separated_data()
    {
        var (x, y) = PlantedData.Generate(300, 60, PlantedData.Spread(60, 40), 0.3, seed: 11);
        var fit = PpcaFit.Fit(x, y);
        var fast = LeaveOneOut.Compute(x, y, null, fit, 48, LeaveOneOutMethod.Fast);
        var naive = LeaveOneOut.Compute(x, y, null, fit, 48, LeaveOneOutMethod.Naive);
        Assert.Equal(0, fast.RefittedFolds);
        AssertClose(naive.X, fast.X, 1e-8);
        AssertClose(naive.Y, fast.Y, 1e-8);
    }

    [Fact]
    public void Fast_equals_naive_refit_with_copies_left_out_together()
    {
        var (x, y) = PlantedData.Generate(120, 24, PlantedData.Spread(24, 30), 0.3, seed: 5);
        var random = new SeededRandom(3, RandomPurpose.SyntheticData, 1);
        var weights = new int[x.Rows];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = 1 + random.NextInt(3);
        }

        var fit = PpcaFit.Fit(x, y, weights);
        var fast = LeaveOneOut.Compute(x, y, weights, fit, 20, LeaveOneOutMethod.Fast);
        var naive = LeaveOneOut.Compute(x, y, weights, fit, 20, LeaveOneOutMethod.Naive);
        Assert.Equal(0, fast.RefittedFolds);
        AssertClose(naive.X, fast.X, 1e-8);
        AssertClose(naive.Y, fast.Y, 1e-8);
    }

    [Fact]
    public void Scores_do_not_depend_on_the_thread_count()
    {
        var (x, y) = PlantedData.Generate(200, 30, PlantedData.Spread(30, 20), 0.5, seed: 2);
        var fit = PpcaFit.Fit(x, y);
        var one = LeaveOneOut.Compute(x, y, null, fit, 30, LeaveOneOutMethod.Fast, threads: 1);
        var two = LeaveOneOut.Compute(x, y, null, fit, 30, LeaveOneOutMethod.Fast, threads: 2);
        Assert.Equal(one.X.Values, two.X.Values);
        Assert.Equal(one.Y.Values, two.Y.Values);
    }

    private static void AssertClose(RowMajorMatrix expected, RowMajorMatrix actual, double relative)
    {
        var scale = expected.Values.Max(Math.Abs);
        for (var t = 0; t < expected.Values.Length; t++)
        {
            var error = Math.Abs(expected.Values[t] - actual.Values[t]);
            Assert.True(error <= relative * scale, $"entry {t / expected.Columns},{t % expected.Columns}: expected {expected.Values[t]:R}, got {actual.Values[t]:R} (error {error / scale:E2} relative)");
        }
    }
}
