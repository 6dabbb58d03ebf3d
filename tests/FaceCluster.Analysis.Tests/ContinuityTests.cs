namespace FaceCluster.Analysis.Tests;

/// <summary>The continuity of a dimension (section 12, Figure 4B) on cases checked by hand.</summary>
public sealed class ContinuityTests
{
    [Fact]
    public void Percentiles_are_centred_average_ranks()
    {
        // Ranks 1, 3.5, 3.5, 5, 2 of five: 100 (rank - 1/2) / 5.
        Assert.Equal([10.0, 60, 60, 90, 30], Continuity.Percentiles([1, 3, 3, 4, 2]));
        Assert.Equal([10.0, 30, 50, 70, 90], Continuity.Percentiles([-5, 0, 1, 2, 100]));
    }

    [Fact]
    public void A_dimension_that_people_read_as_the_dnn_does_is_a_diagonal_with_no_spread_inside_bins()
    {
        var scores = Enumerable.Range(0, 200).Select(i => (double)i).ToArray();
        var continuity = Continuity.Of("A", scores, [.. scores.Select(s => (3 * s) + 7)]);

        Assert.Equal(Continuity.BinCount, continuity.Bins.Count);
        Assert.All(continuity.Bins, bin => Assert.Equal(10, bin.Count));

        // Bin 0 holds percentiles 0.25, 0.75, ..., 4.75: the human percentiles are the same numbers.
        var first = continuity.Bins[0];
        Assert.Equal((0.0, 5.0, 2.5, 1.375, 3.625), (first.From, first.To, first.Median, first.Lower, first.Upper));
        Assert.All(continuity.Bins, bin => Assert.Equal(bin.From + 2.5, bin.Median, 12));

        // Within ±5 points of each percentile: 20 seeds, percentiles spaced by 0.5: sd = 0.5 sqrt(20 * 21 / 12).
        var expected = 0.5 * Math.Sqrt(20.0 * 21 / 12);
        Assert.Equal(expected, continuity.SpreadAt25, 12);
        Assert.Equal(expected, continuity.SpreadAt50, 12);
        Assert.Equal(expected, continuity.SpreadAt75, 12);
    }

    [Fact]
    public void A_dimension_people_read_only_at_its_ends_has_flat_middle_bins_and_a_larger_spread_in_the_middle()
    {
        // The people agree with the DNN in the lowest and highest fifths only; in between their order is unrelated.
        var n = 400;
        var dnn = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var human = dnn.Select(s => s < 80 || s >= 320 ? s : 80 + ((s * 37) % 240)).ToArray();
        var continuity = Continuity.Of("B", dnn, human);

        var middle = continuity.Bins[10];
        var end = continuity.Bins[0];
        Assert.True(middle.Upper - middle.Lower > 5 * (end.Upper - end.Lower), $"interquartile range in the middle {middle.Upper - middle.Lower}, at the end {end.Upper - end.Lower}");
        Assert.True(continuity.SpreadAt50 > 4 * Continuity.Of("A", dnn, dnn).SpreadAt50);
        Assert.Equal(2.5, continuity.Bins[0].Median, 12);
    }

    [Fact]
    public void Unusable_columns_are_refused_naming_the_dimension()
    {
        Assert.Contains("dimension C", Assert.Throws<ArgumentException>(() => Continuity.Of("C", [1, 2], [1])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Continuity.Of("C", [1, double.NaN], [1, 2]));
    }
}
