namespace FaceCluster.Analysis.Tests;

public class MultipleTestingTests
{
    [Fact]
    public void ForwardStop_examples()
    {
        Assert.Equal(5, MultipleTesting.ForwardStop([0.001, 0.002, 0.0015, 0.0013, 0.05, 0.6], 0.05));
        Assert.Equal(0, MultipleTesting.ForwardStop([0.5, 0.6, 0.7, 0.8, 0.9], 0.05));
        Assert.Equal(0, MultipleTesting.ForwardStop([], 0.05));
    }

    [Fact]
    public void ForwardStop_takes_the_last_crossing_and_clamps_p_of_one()
    {
        // Y_1 = 0.105 > 0.05, then many zeros pull the mean below alpha: kf is the largest such m.
        Assert.Equal(3, MultipleTesting.ForwardStop([0.1, 0.0, 0.0], 0.05));

        // p = 1 contributes -ln(1e-16) = 36.84 instead of infinity; so does NaN.
        var y = -Math.Log(1e-16) / 800;
        Assert.True(y < 0.05);
        Assert.Equal(800, MultipleTesting.ForwardStop([1.0, .. new double[799]], 0.05));
        Assert.Equal(800, MultipleTesting.ForwardStop([double.NaN, .. new double[799]], 0.05));
        Assert.Equal(0, MultipleTesting.ForwardStop([1.0, .. new double[700]], 0.05));
    }

    [Fact]
    public void Benjamini_hochberg_by_hand()
    {
        // sorted: 0.01 (k/1 = 5 -> 0.05), 0.02 (5/2 -> 0.05), 0.03 (5/3 -> 0.05), 0.04 (5/4 -> 0.05), 0.5 (1 -> 0.5)
        var q = MultipleTesting.BenjaminiHochberg([0.04, 0.5, 0.01, 0.03, 0.02]);
        Assert.Equal([0.05, 0.5, 0.05, 0.05, 0.05], q.Select(v => Math.Round(v, 12)).ToArray());

        // Step-up minimum: p = [0.01, 0.04, 0.045]; raw 0.03, 0.06, 0.045 -> q = 0.03, 0.045, 0.045.
        q = MultipleTesting.BenjaminiHochberg([0.045, 0.01, 0.04]);
        Assert.Equal(0.045, q[0], 1e-15);
        Assert.Equal(0.03, q[1], 1e-15);
        Assert.Equal(0.045, q[2], 1e-15);
    }

    [Fact]
    public void Benjamini_hochberg_caps_at_one_and_treats_nan_as_one()
    {
        var q = MultipleTesting.BenjaminiHochberg([0.9, double.NaN, 0.8]);
        Assert.Equal([1.0, 1.0, 1.0], q);
        q = MultipleTesting.BenjaminiHochberg([0.01, double.NaN]);
        Assert.Equal(0.02, q[0], 1e-15);
        Assert.Equal(1.0, q[1]);
    }

    [Fact]
    public void Selection_is_the_intersection_of_the_three_sets()
    {
        double[] p = [0.0, 0.0, 0.001, 0.0, 0.3, 0.0];
        double[] snr = [10, 2.5, 8, double.PositiveInfinity, 9, double.NaN];
        var selection = DimensionSelection.Select(p, snr);

        // ForwardStop: Y stays tiny for m <= 4, Y_5 = -ln(0.7)/5 = 0.071 > 0.05, Y_6 = 0.059 > 0.05: kf = 4.
        Assert.Equal(4, selection.ForwardStopCount);
        Assert.Equal([true, true, true, true, false, false], selection.ForwardStop);
        Assert.Equal([true, true, true, true, false, true], selection.Bh);
        Assert.Equal([true, false, true, true, true, false], selection.SnrPass);
        Assert.Equal([true, false, true, true, false, false], selection.Significant);
        Assert.Equal([0, 2, 3], selection.SignificantIndices);
    }
}
