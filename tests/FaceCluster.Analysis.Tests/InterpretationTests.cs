namespace FaceCluster.Analysis.Tests;

public sealed class InterpretationTests
{
    private static readonly string[] Concepts = ["Joy", "Fear", "Awe", "Pain"];

    /// <summary>
    /// Two countries x four concepts, two rotated dimensions. A: CN loads exactly twice US, so <c>Lbar = 1.5 L_US</c> and
    /// <c>r = 1</c> in both countries (shared). B: US loads only Pain, CN only Fear, so <c>Lbar = (0, .5, 0, .5)</c> and
    /// <c>r = 0.25 / sqrt(0.75 * 0.25) = 1 / sqrt(3)</c> in both (culture-specific at 0.6, shared at 0.5).
    /// </summary>
    private static PpcaResult HandResult(double[]? rotation = null)
    {
        string[] attributes = [.. Concepts.Select(c => $"US:{c}"), .. Concepts.Select(c => $"CN:{c}")];
        var loadings = new RowMajorMatrix(8, 2, [
            0.4, 0, // US:Joy
            0.1, 0, // US:Fear
            0.2, 0, // US:Awe
            -0.1, 1, // US:Pain
            0.8, 0, // CN:Joy
            0.2, 1, // CN:Fear
            0.4, 0, // CN:Awe
            -0.2, 0, // CN:Pain
        ]);

        // Three tested dimensions, the first and third significant: the middle score column must not be used.
        var dimensions = Enumerable.Range(1, 3)
            .Select(j => new DimensionStatistics(j, 4 - j, 0.5, 0, 0, 0.1, 5, true, true, true, j != 2))
            .ToArray();
        var scores = new HeldOutScores(
            new RowMajorMatrix(2, 3, [1, 99, 2, 3, 99, 4]),
            new RowMajorMatrix(2, 3, [5, 99, 6, 7, 99, 8]));
        return new PpcaResult
        {
            Attributes = attributes,
            Dimensions = dimensions,
            Loadings = loadings,
            Labels = ["A", "B"],
            Scores = scores,
            Rotation = rotation is null ? null : new RowMajorMatrix(2, 2, rotation),
            LoadingSignificance =
            [
                new LoadingSignificanceRow("A", 1, "CN:Joy", 0.8, 0, true, 2),
                new LoadingSignificanceRow("A", 2, "CN:Awe", 0.4, 0, true, 2),
                new LoadingSignificanceRow("A", 3, "US:Joy", 0.4, 0.5, false, 2),
                new LoadingSignificanceRow("B", 1, "US:Pain", 1, 0, true, 1),
                new LoadingSignificanceRow("B", 2, "CN:Fear", 1, 0.5, false, 1),
            ],
            Preservation = null,
            TimingsSeconds = new Dictionary<string, double>(),
        };
    }

    [Fact]
    public void Top_concepts_consistency_and_calls_match_the_hand_computation()
    {
        var result = PpcaInterpretation.Compute(HandResult());

        Assert.Null(result.MeaningsSkippedBecause);
        Assert.Equal(0.6, result.Threshold);
        Assert.Null(result.Scores);
        var (a, b) = (result.Meanings[0], result.Meanings[1]);

        Assert.Equal("A", a.Dimension);
        Assert.Equal(["US", "CN"], a.Countries.Select(c => c.Country));
        Assert.Equal(
            [new RankedConcept("Joy", 0.4, false), new RankedConcept("Awe", 0.2, false), new RankedConcept("Fear", 0.1, false)],
            a.Countries[0].Top);
        Assert.Equal(
            [new RankedConcept("Joy", 0.8, true), new RankedConcept("Awe", 0.4, true), new RankedConcept("Fear", 0.2, false)],
            a.Countries[1].Top);
        Assert.All(a.Countries, c => Assert.Equal(1.0, c.Consistency, 12));
        Assert.True(a.Shared);
        Assert.Empty(a.CountriesBelow);
        Assert.Equal(("Joy", 2), (a.MostFrequentTopConcept, a.TopConceptAgreement));

        // Ties among the zero loadings go to the earlier concept.
        Assert.Equal(["Pain", "Joy", "Fear"], b.Countries[0].Top.Select(t => t.Concept));
        Assert.Equal([true, false, false], b.Countries[0].Top.Select(t => t.Significant));
        Assert.Equal(["Fear", "Joy", "Awe"], b.Countries[1].Top.Select(t => t.Concept));
        Assert.Equal([false, false, false], b.Countries[1].Top.Select(t => t.Significant));
        Assert.All(b.Countries, c => Assert.Equal(1 / Math.Sqrt(3), c.Consistency, 12));
        Assert.False(b.Shared);
        Assert.Equal(["US", "CN"], b.CountriesBelow);

        // One country each, equal mean loadings (0.5): the earlier concept, Fear.
        Assert.Equal(("Fear", 1), (b.MostFrequentTopConcept, b.TopConceptAgreement));
    }

    [Fact]
    public void The_threshold_is_a_parameter()
    {
        var lower = PpcaInterpretation.Compute(HandResult(), 0.5);

        Assert.True(lower.Meanings[1].Shared);
        Assert.Empty(lower.Meanings[1].CountriesBelow);
        Assert.Throws<ArgumentOutOfRangeException>(() => PpcaInterpretation.Compute(HandResult(), 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PpcaInterpretation.Compute(HandResult(), double.NaN));
        Assert.Contains(new PpcaOptions { SharedThreshold = -2 }.Validate(), e => e.Contains("shared threshold", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_replicates_nothing_is_marked_significant()
    {
        var result = PpcaInterpretation.Compute(HandResult() with { LoadingSignificance = [] });

        Assert.All(result.Meanings.SelectMany(m => m.Countries).SelectMany(c => c.Top), t => Assert.False(t.Significant));
    }

    [Fact]
    public void Rotated_scores_use_the_significant_columns_times_the_rotation()
    {
        // Significant columns: x rows (1, 2), (3, 4); y rows (5, 6), (7, 8). T = [[0, -1], [1, 0]].
        var scores = PpcaInterpretation.Compute(HandResult([0, -1, 1, 0])).Scores!;

        Assert.Equal(["A", "B"], scores.Labels);
        Assert.Equal([2, -1, 4, -3], scores.Dnn.Values);
        Assert.Equal([6, -5, 8, -7], scores.Human.Values);
    }

    [Fact]
    public void Meanings_are_skipped_when_the_attributes_are_not_a_country_grid()
    {
        var hand = HandResult();
        var result = PpcaInterpretation.Compute(hand with { Attributes = [.. hand.Attributes.Select(a => a.Replace(':', '_'))] });

        Assert.Empty(result.Meanings);
        Assert.Contains("country:concept", result.MeaningsSkippedBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void Rotation_of_an_analysis_reproduces_the_loadings_and_the_varimax_rotation()
    {
        var data = PlantedPpcaData.Generate(new PlantedPpcaOptions { Stimuli = 150, Countries = ["CN", "US"], Concepts = 8, Dimensions = 3, Seed = 3 });
        var options = new PpcaOptions { Bootstrap = 100, Replicates = 0, Threads = 2 };
        var result = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, options, null, TestContext.Current.CancellationToken);
        Assert.True(result.SignificantCount >= 2);

        var fit = PpcaAnalysis.FitAllRows(data.X, data.Y);
        var significant = result.Dimensions.Where(d => d.Significant).Select(d => d.Dimension - 1).ToArray();
        var components = new RowMajorMatrix(fit.Components.Rows, significant.Length);
        for (var a = 0; a < components.Rows; a++)
        {
            for (var c = 0; c < significant.Length; c++)
            {
                components[a, c] = fit.Components[a, significant[c]];
            }
        }

        var varimax = Varimax.RotateAndOrder(components, significant.Select(j => fit.Eigenvalues[j]).ToArray());
        var t = result.Rotation!;
        for (var j = 0; j < t.Rows; j++)
        {
            for (var d = 0; d < t.Columns; d++)
            {
                Assert.Equal(varimax.Rotation[j, d], t[j, d], 12);
            }
        }

        // Zx = Sx T column by column, from the held-out scores.
        var z = PpcaInterpretation.Compute(result).Scores!;
        for (var i = 0; i < data.X.Rows; i += 37)
        {
            for (var d = 0; d < t.Columns; d++)
            {
                var expected = significant.Select((j, c) => result.Scores.X[i, j] * t[c, d]).Sum();
                Assert.Equal(expected, z.Dnn[i, d], 12);
            }
        }
    }

    /// <summary>
    /// Three planted dimensions over 3 countries x 8 concepts with disjoint supports: two universal (the same concepts in
    /// every country) and one culture-specific (concept 4 in countries 0 and 1, concept 6 in country 2, where
    /// <c>r</c> is about 0.34 against about 0.88 elsewhere). The calls must recover which is which.
    /// </summary>
    [Fact]
    public void Shared_and_culture_specific_calls_recover_planted_truth()
    {
        string[] countries = ["CN", "IN", "US"];
        const int q = 8;
        var p = countries.Length * q;
        var planted = new RowMajorMatrix(p, 3);
        for (var a = 0; a < countries.Length; a++)
        {
            planted[(a * q) + 0, 0] = 1;
            planted[(a * q) + 1, 0] = 0.5;
            planted[(a * q) + 2, 1] = 1;
            planted[(a * q) + 3, 1] = 0.7;
            planted[(a * q) + (a < 2 ? 4 : 6), 2] = 1;
        }

        for (var d = 0; d < 3; d++)
        {
            var norm = Math.Sqrt(planted.Column(d).Sum(v => v * v));
            for (var i = 0; i < p; i++)
            {
                planted[i, d] /= norm;
            }
        }

        double[] strengths = [4, 3, 2];
        const int n = 300;
        var x = new RowMajorMatrix(n, p);
        var y = new RowMajorMatrix(n, p);
        var random = new SeededRandom(7, RandomPurpose.SyntheticData, 0);
        for (var i = 0; i < n; i++)
        {
            var z = strengths.Select(s => s * random.NextGaussian()).ToArray();
            for (var j = 0; j < p; j++)
            {
                var signal = Enumerable.Range(0, 3).Sum(d => z[d] * planted[j, d]);
                x[i, j] = signal + (0.5 * random.NextGaussian());
                y[i, j] = signal + (0.5 * random.NextGaussian());
            }
        }

        string[] attributes = [.. countries.SelectMany(c => Enumerable.Range(0, q).Select(b => $"{c}:C{b}"))];
        var result = PpcaAnalysis.Run(x, y, attributes, new PpcaOptions { Bootstrap = 200, Replicates = 0, Threads = 2 }, null, TestContext.Current.CancellationToken);
        Assert.Equal(3, result.SignificantCount);

        var interpretation = PpcaInterpretation.Compute(result);
        var universal = 0;
        foreach (var meaning in interpretation.Meanings)
        {
            // The planted dimension this rotated one recovers: the largest |cosine|.
            var d = result.Labels.ToList().IndexOf(meaning.Dimension);
            var match = Enumerable.Range(0, 3)
                .OrderByDescending(e => Math.Abs(Enumerable.Range(0, p).Sum(i => planted[i, e] * result.Loadings[i, d])))
                .First();
            if (match < 2)
            {
                universal++;
                Assert.True(meaning.Shared, $"{meaning.Dimension} recovers universal planted dimension {match}");
                Assert.Equal(3, meaning.TopConceptAgreement);
                Assert.Equal(match == 0 ? "C0" : "C2", meaning.MostFrequentTopConcept);
            }
            else
            {
                Assert.False(meaning.Shared);
                Assert.Equal(["US"], meaning.CountriesBelow);
                Assert.Equal(["C4", "C4", "C6"], meaning.Countries.Select(c => c.Top[0].Concept));
                Assert.Equal(("C4", 2), (meaning.MostFrequentTopConcept, meaning.TopConceptAgreement));
            }
        }

        Assert.Equal(2, universal);
    }
}
