namespace FaceCluster.Analysis.Tests;

public class LoadingSignificanceTests
{
    [Fact]
    public void Aggregation_counts_hits_per_rank_and_applies_forward_stop()
    {
        // Magnitude order of the reference: attribute 1 (0.9), then 2 (-0.5), then 0 (0.2).
        var reference = RowMajorMatrix.FromRows([[0.2], [0.9], [-0.5]]);
        var replicates = Enumerable.Range(0, 20)
            .Select(r => new LoadingReplicate(r, 1, [r < 18 ? 3 : 1]))
            .ToArray();
        var rows = LoadingSignificance.Aggregate(reference, ["A"], ["a0", "a1", "a2"], replicates, 0.05);

        // p(1) = 1 - 20/20, p(2) = p(3) = 1 - 18/20; ForwardStop: Y_1 = 0, Y_2 = -ln(0.9)/2 = 0.053 > 0.05.
        Assert.Equal(["a1", "a2", "a0"], rows.Select(r => r.Attribute));
        Assert.Equal([0.9, -0.5, 0.2], rows.Select(r => r.Loading));
        Assert.Equal(0.0, rows[0].P);
        Assert.Equal(0.1, rows[1].P, 1e-15);
        Assert.Equal(0.1, rows[2].P, 1e-15);
        Assert.Equal([true, false, false], rows.Select(r => r.Significant));
        Assert.All(rows, r => Assert.Equal(1, r.SignificantCount));
    }

    [Fact]
    public void A_replicate_is_a_pure_function_of_its_index_and_seed()
    {
        var data = PlantedPpcaData.Generate(new PlantedPpcaOptions { Stimuli = 90, Countries = ["CN", "US"], Concepts = 5, Dimensions = 2, Seed = 8 });
        var options = new PpcaOptions { Bootstrap = 50, Replicates = 3, Seed = 4 };
        var analysis = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, options with { Replicates = 0 });
        var first = LoadingSignificance.RunReplicate(data.X, data.Y, analysis.Loadings, options, 2);
        var again = LoadingSignificance.RunReplicate(data.X, data.Y, analysis.Loadings, options, 2);
        var inRange = PpcaAnalysis.RunReplicates(data.X, data.Y, analysis.Loadings, options, 1, 2, threads: 2);
        Assert.Equal(first.MatchLengths, again.MatchLengths);
        Assert.Equal(first.MatchLengths, inRange[1].MatchLengths);
        Assert.Equal(2, inRange[1].Index);
        Assert.Equal(first.SignificantDimensions, inRange[1].SignificantDimensions);
        Assert.All(first.MatchLengths, m => Assert.InRange(m, 1, 10));
    }
}
