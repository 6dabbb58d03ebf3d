namespace FaceCluster.Analysis.Tests;

public class GppcaTests
{
    [Fact]
    public void Downdate_matches_the_naive_refit()
    {
        var countries = Planted(n: 70, q: 9, c: 3, shared: 4, seed: 51);
        var fast = Gppca.LeaveOneOutScores(countries, 9, threads: 2);
        var naive = Gppca.LeaveOneOutScoresNaive(countries, 9);
        for (var a = 0; a < 3; a++)
        {
            var scale = naive[a].Values.Max(Math.Abs);
            for (var i = 0; i < naive[a].Values.Length; i++)
            {
                Assert.Equal(naive[a].Values[i], fast[a].Values[i], 1e-9 * scale);
            }
        }
    }

    [Fact]
    public void Leave_one_out_scores_do_not_depend_on_threads()
    {
        var countries = Planted(n: 90, q: 7, c: 4, shared: 3, seed: 52);
        var one = Gppca.LeaveOneOutScores(countries, 7, threads: 1);
        var three = Gppca.LeaveOneOutScores(countries, 7, threads: 3);
        for (var a = 0; a < 4; a++)
        {
            Assert.Equal(one[a].Values, three[a].Values);
        }
    }

    [Fact]
    public void Fit_is_the_eigendecomposition_of_the_cross_country_covariance()
    {
        var countries = Planted(n: 40, q: 5, c: 3, shared: 2, seed: 53);
        var fit = Gppca.Fit(countries);
        var n = 40;
        var centred = countries.Select(x =>
        {
            var m = x.Clone();
            for (var j = 0; j < 5; j++)
            {
                var mean = x.Column(j).Average();
                for (var i = 0; i < n; i++)
                {
                    m[i, j] -= mean;
                }
            }

            return m;
        }).ToArray();
        for (var r = 0; r < 5; r++)
        {
            for (var l = 0; l < 5; l++)
            {
                var sum = 0.0;
                for (var a = 0; a < 3; a++)
                {
                    for (var b = 0; b < 3; b++)
                    {
                        if (a != b)
                        {
                            sum += Enumerable.Range(0, n).Sum(i => centred[a][i, r] * centred[b][i, l]);
                        }
                    }
                }

                var expected = sum / ((n - 1) * 3 * 2);
                var reconstructed = Enumerable.Range(0, 5).Sum(j => fit.Vectors[r, j] * fit.Values[j] * fit.Vectors[l, j]);
                Assert.Equal(expected, reconstructed, 1e-10);
            }
        }

        for (var j = 0; j < 5; j++)
        {
            Assert.True(fit.Vectors.Column(j).OrderByDescending(Math.Abs).First() > 0);
        }
    }

    [Fact]
    public void Planted_shared_dimensions_are_preserved()
    {
        const int shared = 4;
        var countries = Planted(n: 300, q: 12, c: 4, shared: shared, seed: 54);
        var result = Gppca.Run(countries, threads: 2);
        Assert.Equal(12, result.Dimensions);
        Assert.Equal(6, result.Pairs.Count);
        Assert.All(Enumerable.Range(0, shared), j => Assert.True(result.Preserved[j], $"dimension {j + 1}"));
        Assert.InRange(result.PreservedCount, shared, shared + 1);
        Assert.All(result.Pairs, pair => Assert.True(pair.R[0] > 0.5));
        Assert.All(result.Pairs, pair => Assert.All(pair.P, p => Assert.InRange(p, 0.0, 1.0)));
        Assert.Equal(MultipleTesting.BenjaminiHochberg(result.Pairs[0].P), result.Pairs[0].Q);
        Assert.Equal(result.Pairs[2].R, PartialCorrelation.PartialPearsonByCholesky(result.Scores[0], result.Scores[3]));
    }

    [Fact]
    public void Two_sided_p_values_match_closed_forms()
    {
        // df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)) gives p = 1 - |r|; df = 1 (Cauchy): p = 1 - 2 asin|r| / pi.
        foreach (var r in new[] { 0.1, -0.6, 0.95 })
        {
            Assert.Equal(1 - Math.Abs(r), Gppca.TwoSidedP(r, 2), 1e-9);
            Assert.Equal(1 - (2 * Math.Asin(Math.Abs(r)) / Math.PI), Gppca.TwoSidedP(r, 1), 1e-9);
        }

        Assert.Equal(1.0, Gppca.TwoSidedP(0.0, 50), 1e-12);
        Assert.Equal(0.0, Gppca.TwoSidedP(1.0, 50));
        Assert.True(double.IsNaN(Gppca.TwoSidedP(0.5, 0)));
        Assert.True(double.IsNaN(Gppca.TwoSidedP(double.NaN, 10)));
    }

    [Fact]
    public void Preservation_graph_rule_on_hand_cases()
    {
        // Six countries in a ring: connected, every degree 2.
        Assert.True(Gppca.IsPreserved(Graph(6, (0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0))));

        // A path: connected but the ends have degree 1.
        Assert.False(Gppca.IsPreserved(Graph(6, (0, 1), (1, 2), (2, 3), (3, 4), (4, 5))));

        // Two triangles: every degree 2 but not connected.
        Assert.False(Gppca.IsPreserved(Graph(6, (0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3))));

        // Two countries need their single edge (min(2, c - 1) = 1).
        Assert.True(Gppca.IsPreserved(Graph(2, (0, 1))));
        Assert.False(Gppca.IsPreserved(Graph(2)));

        // Three countries: a triangle passes, a path does not.
        Assert.True(Gppca.IsPreserved(Graph(3, (0, 1), (1, 2), (0, 2))));
        Assert.False(Gppca.IsPreserved(Graph(3, (0, 1), (1, 2))));
    }

    internal static List<RowMajorMatrix> Planted(int n, int q, int c, int shared, ulong seed)
    {
        var random = new SeededRandom(seed, RandomPurpose.SyntheticData, 7);
        var basis = new double[shared, q];
        for (var s = 0; s < shared; s++)
        {
            for (var j = 0; j < q; j++)
            {
                basis[s, j] = random.NextGaussian();
            }
        }

        var latent = new double[n, shared];
        for (var i = 0; i < n; i++)
        {
            for (var s = 0; s < shared; s++)
            {
                latent[i, s] = random.NextGaussian() * (1.5 + (0.4 * (shared - s)));
            }
        }

        var countries = new List<RowMajorMatrix>();
        for (var a = 0; a < c; a++)
        {
            var x = new RowMajorMatrix(n, q);
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < q; j++)
                {
                    var v = 1.0 + (2.0 * random.NextGaussian());
                    for (var s = 0; s < shared; s++)
                    {
                        v += latent[i, s] * basis[s, j];
                    }

                    x[i, j] = v;
                }
            }

            countries.Add(x);
        }

        return countries;
    }

    private static bool[,] Graph(int c, params (int A, int B)[] edges)
    {
        var g = new bool[c, c];
        foreach (var (a, b) in edges)
        {
            g[a, b] = true;
            g[b, a] = true;
        }

        return g;
    }
}
