namespace FaceCluster.Analysis.Tests;

public class PpcaAnalysisTests
{
    private static PlantedPpcaInput Planted(int dimensions, ulong seed = 3) => PlantedPpcaData.Generate(new PlantedPpcaOptions
    {
        Stimuli = 400,
        Countries = ["CN", "US", "VE"],
        Concepts = 16,
        Dimensions = dimensions,
        Noise = 1.0,
        Seed = seed,
    });

    [Fact]
    public void Planted_dimensions_are_found_and_no_more()
    {
        var data = Planted(6);
        var result = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, new PpcaOptions { Bootstrap = 200, Replicates = 0 });
        Assert.Equal(6, result.SignificantCount);
        Assert.Equal(["A", "B", "C", "D", "E", "F"], result.Labels);
        Assert.All(result.Dimensions.Take(6), d => Assert.True(d.Significant && d.P == 0 && d.Snr > 3));
        Assert.All(result.Dimensions.Skip(6), d => Assert.False(d.Significant));

        // The rotated loadings span the planted subspace: every planted pattern is (nearly) inside it.
        for (var d = 0; d < data.Loadings.Columns; d++)
        {
            double inside = 0;
            for (var e = 0; e < result.Loadings.Columns; e++)
            {
                double dot = 0;
                for (var a = 0; a < data.Loadings.Rows; a++)
                {
                    dot += data.Loadings[a, d] * result.Loadings[a, e];
                }

                inside += dot * dot;
            }

            Assert.True(inside > 0.95, $"planted dimension {d} lies {inside:F3} inside the recovered subspace");
        }
    }

    [Fact]
    public void Pure_noise_has_no_significant_dimension()
    {
        var random = new SeededRandom(9, RandomPurpose.SyntheticData, 2);
        var x = new RowMajorMatrix(200, 24);
        var y = new RowMajorMatrix(200, 24);
        for (var t = 0; t < x.Values.Length; t++)
        {
            x.Values[t] = random.NextGaussian();
            y.Values[t] = random.NextGaussian();
        }

        var names = Enumerable.Range(0, 24).Select(a => $"a{a}").ToArray();
        var result = PpcaAnalysis.Run(x, y, names, new PpcaOptions { Bootstrap = 200, Replicates = 5 });
        Assert.Equal(0, result.SignificantCount);
        Assert.Empty(result.LoadingSignificance);
        Assert.Null(result.Preservation);
    }

    [Fact]
    public void Same_seed_gives_identical_results_on_one_and_two_threads()
    {
        var data = PlantedPpcaData.Generate(new PlantedPpcaOptions
        {
            Stimuli = 150, Countries = ["CN", "US"], Concepts = 10, Dimensions = 3, Seed = 4,
        });
        var one = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, new PpcaOptions { Bootstrap = 100, Replicates = 8, Threads = 1, Seed = 7 });
        var two = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, new PpcaOptions { Bootstrap = 100, Replicates = 8, Threads = 2, Seed = 7 });
        Assert.Equal(one.Dimensions, two.Dimensions);
        Assert.Equal(one.Loadings.Values, two.Loadings.Values);
        Assert.Equal(one.Scores.X.Values, two.Scores.X.Values);
        Assert.Equal(one.LoadingSignificance, two.LoadingSignificance);

        var other = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, new PpcaOptions { Bootstrap = 100, Replicates = 8, Threads = 2, Seed = 8 });
        Assert.NotEqual(one.Dimensions.Select(d => d.Sd), other.Dimensions.Select(d => d.Sd));
    }

    [Fact]
    public void Strong_loadings_are_significant_in_replicates()
    {
        var data = Planted(3, seed: 5);
        var result = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, new PpcaOptions { Bootstrap = 100, Replicates = 20, InnerBootstrap = 100 });
        Assert.Equal(3, result.SignificantCount);
        Assert.Equal(3 * data.Attributes.Length, result.LoadingSignificance.Count);
        foreach (var label in result.Labels)
        {
            var rows = result.LoadingSignificance.Where(r => r.Dimension == label).ToList();
            Assert.Equal(Enumerable.Range(1, data.Attributes.Length), rows.Select(r => r.N));
            Assert.True(rows[0].Significant, $"the largest loading of {label} is significant");
            Assert.True(rows[0].SignificantCount >= 1);
            Assert.All(rows, r => Assert.Equal(r.N <= r.SignificantCount, r.Significant));

            // p-values can only grow with N: matching more signs is harder.
            for (var t = 1; t < rows.Count; t++)
            {
                Assert.True(rows[t].P >= rows[t - 1].P);
            }
        }
    }

    [Fact]
    public void Fast_and_naive_leave_one_out_reach_the_same_analysis()
    {
        var data = PlantedPpcaData.Generate(new PlantedPpcaOptions
        {
            Stimuli = 120, Countries = ["CN", "US"], Concepts = 8, Dimensions = 3, Seed = 6,
        });
        var fast = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, new PpcaOptions { Bootstrap = 100, Replicates = 0 });
        var naive = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, new PpcaOptions { Bootstrap = 100, Replicates = 0, LeaveOneOut = LeaveOneOutMethod.Naive });
        Assert.Equal(fast.Labels, naive.Labels);
        for (var j = 0; j < fast.Dimensions.Count; j++)
        {
            Assert.Equal(fast.Dimensions[j].Significant, naive.Dimensions[j].Significant);
            Assert.Equal(fast.Dimensions[j].R, naive.Dimensions[j].R, 1e-9);
        }
    }

    [Fact]
    public void Match_lengths_follow_signs_of_the_largest_entries()
    {
        // Reference column: magnitudes order attributes 2, 0, 3, 1.
        var reference = RowMajorMatrix.FromRows([[0.5], [0.1], [-0.8], [0.3]]);
        var sameSigns = RowMajorMatrix.FromRows([[0.2], [0.9], [-0.1], [0.4]]);
        Assert.Equal([4], LoadingSignificance.MatchLengths(reference, sameSigns));
        var flipped = RowMajorMatrix.FromRows([[-0.2], [-0.9], [0.1], [0.4]]);
        Assert.Equal([2], LoadingSignificance.MatchLengths(reference, flipped));
        var zeroFirst = RowMajorMatrix.FromRows([[0.2], [0.9], [0.0], [0.4]]);
        Assert.Equal([0], LoadingSignificance.MatchLengths(reference, zeroFirst));
        var twoColumns = RowMajorMatrix.FromRows([[0.2, -0.3], [-0.9, 0.1], [0.0, 0.7], [0.4, -0.2]]);
        Assert.Equal([3], LoadingSignificance.MatchLengths(reference, twoColumns));
        Assert.Equal([0], LoadingSignificance.MatchLengths(reference, new RowMajorMatrix(4, 0)));
    }
}
