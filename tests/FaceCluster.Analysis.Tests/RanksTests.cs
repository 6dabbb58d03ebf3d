namespace FaceCluster.Analysis.Tests;

public class RanksTests
{
    [Fact]
    public void Average_ranks_with_ties_by_hand()
    {
        // sorted: 1 (idx 3), 2, 2 (idx 1, 4), 5 (idx 0), 7, 7, 7 (idx 2, 5, 6)
        var ranks = Ranks.Average([5.0, 2.0, 7.0, 1.0, 2.0, 7.0, 7.0]);
        Assert.Equal([4.0, 2.5, 6.0, 1.0, 2.5, 6.0, 6.0], ranks);
    }

    [Fact]
    public void Average_ranks_without_ties_are_positions()
    {
        Assert.Equal([2.0, 3.0, 1.0], Ranks.Average([0.5, 3.0, -1.0]));
    }

    [Fact]
    public void Negative_and_positive_zero_tie()
    {
        Assert.Equal([1.5, 1.5, 3.0], Ranks.Average([-0.0, 0.0, 1.0]));
    }

    [Fact]
    public void Weighted_ranks_by_hand()
    {
        // values 3, 1, 3, 2 with weights 2, 1, 0, 3: W(<1) = 0, W(<2) = 1, W(<3) = 4; tied weight of 3 is 2 + 0.
        var ranks = Ranks.Weighted([3.0, 1.0, 3.0, 2.0], [2, 1, 0, 3]);
        Assert.Equal([4 + 1.5, 1.0, 4 + 1.5, 1 + 2.0], ranks);
    }

    [Fact]
    public void Weighted_ranks_equal_ranks_of_the_expanded_rows()
    {
        var random = new SeededRandom(11, RandomPurpose.SyntheticData, 0);
        var values = new double[40];
        var weights = new int[40];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.NextInt(12); // many ties across entries
            weights[i] = random.NextInt(4); // zeros included
        }

        var weighted = Ranks.Weighted(values, weights);
        var expandedValues = Resampling.RowToStimulus(weights, values.Length).Select(i => values[i]).ToArray();
        var expandedRanks = Ranks.Average(expandedValues);
        var row = 0;
        for (var i = 0; i < values.Length; i++)
        {
            for (var copy = 0; copy < weights[i]; copy++)
            {
                Assert.Equal(expandedRanks[row++], weighted[i]);
            }
        }
    }

    [Fact]
    public void Presorted_column_gives_the_same_ranks_for_many_weight_vectors()
    {
        var values = TestData.Gaussian(60, 1, 3).Values;
        values[7] = values[8]; // one tie
        var column = new PresortedColumn(values);
        Assert.True(column.HasTies);
        var random = new SeededRandom(5, RandomPurpose.SyntheticData, 0);
        var ranks = new double[values.Length];
        var weights = new int[values.Length];
        for (var b = 0; b < 5; b++)
        {
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = random.NextInt(3);
            }

            column.WeightedRanks(weights, ranks);
            Assert.Equal(Ranks.Weighted(values, weights), ranks);
        }
    }

    [Fact]
    public void Centred_hot_path_writes_rank_minus_mean_rank_to_each_slot()
    {
        double[] values = [4.0, 1.0, 4.0, 2.0, 9.0];
        int[] weights = [1, 2, 2, 0, 1];
        var total = weights.Sum();
        var entries = new long[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            // slot 3 * i + 1: any injective placement works.
            entries[i] = ((long)((3 * i) + 1) << 32) | (uint)weights[i];
        }

        var target = new double[16];
        new PresortedColumn(values).WriteCentredRanks(entries, total, target);
        var expected = Ranks.Weighted(values, weights);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(expected[i] - ((total + 1) / 2.0), target[(3 * i) + 1]);
        }
    }

    [Fact]
    public void Non_finite_values_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Ranks.Average([1.0, double.NaN]));
    }
}
