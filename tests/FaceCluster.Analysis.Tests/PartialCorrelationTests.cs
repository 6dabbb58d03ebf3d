namespace FaceCluster.Analysis.Tests;

public class PartialCorrelationTests
{
    [Fact]
    public void Cholesky_form_matches_ols_residuals_on_random_data()
    {
        var (x, y) = TestData.Correlated(200, [1.5, 0.0, 0.8, 0.3, 0.0, 2.0, 0.5], seed: 21);

        // Mix earlier columns into later ones so that the controls matter.
        for (var i = 0; i < x.Rows; i++)
        {
            for (var j = 1; j < x.Columns; j++)
            {
                x[i, j] += 0.7 * x[i, j - 1] - (0.4 * y[i, j - 1]);
                y[i, j] += 0.5 * y[i, j - 1] + (0.3 * x[i, 0]);
            }
        }

        var byCholesky = PartialCorrelation.PartialPearsonByCholesky(x, y);
        var byResiduals = PartialCorrelation.PartialPearsonByResiduals(x, y);
        for (var j = 0; j < x.Columns; j++)
        {
            Assert.Equal(byResiduals[j], byCholesky[j], 1e-10);
        }

        Assert.True(byCholesky[0] > 0.5);
    }

    [Fact]
    public void Partial_spearman_is_partial_pearson_of_the_rank_columns()
    {
        var (x, y) = TestData.Correlated(150, [1.0, 0.2, 0.0, 1.2, 0.6], seed: 22);
        for (var i = 0; i < x.Rows; i++)
        {
            x[i, 2] = Math.Round(x[i, 2] + x[i, 1], 1); // ties, and dependence on a control
            y[i, 3] = Math.Exp(y[i, 3]) + y[i, 0];
        }

        var spearman = PartialCorrelation.PartialSpearman(x, y);
        var reference = PartialCorrelation.PartialPearsonByResiduals(TestData.RankColumns(x), TestData.RankColumns(y));
        for (var j = 0; j < x.Columns; j++)
        {
            Assert.Equal(reference[j], spearman[j], 1e-10);
        }
    }

    [Fact]
    public void First_dimension_is_the_plain_spearman_correlation()
    {
        var (x, y) = TestData.Correlated(97, [0.9, 0.4, 0.1], seed: 23);
        var expected = TestData.Pearson(Ranks.Average(x.Column(0)), Ranks.Average(y.Column(0)));
        Assert.Equal(expected, PartialCorrelation.PartialSpearman(x, y)[0], 1e-12);
    }

    [Fact]
    public void Weighted_partial_spearman_equals_the_expanded_table()
    {
        var (x, y) = TestData.Correlated(50, [1.0, 0.5, 0.0, 0.7], seed: 24);
        var random = new SeededRandom(3, RandomPurpose.SyntheticData, 0);
        var weights = new int[x.Rows];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = random.NextInt(4);
        }

        var weighted = PartialCorrelation.PartialSpearman(x, y, weights);
        var expanded = PartialCorrelation.PartialSpearman(TestData.Expand(x, weights), TestData.Expand(y, weights));
        var pearsonWeighted = PartialCorrelation.PartialPearsonByCholesky(x, y, weights);
        var pearsonExpanded = PartialCorrelation.PartialPearsonByResiduals(TestData.Expand(x, weights), TestData.Expand(y, weights));
        for (var j = 0; j < x.Columns; j++)
        {
            Assert.Equal(expanded[j], weighted[j], 1e-12);
            Assert.Equal(pearsonExpanded[j], pearsonWeighted[j], 1e-10);
        }
    }

    [Fact]
    public void Too_few_distinct_rows_give_nan_for_the_affected_dimensions_only()
    {
        // 5 rows, 4 dimensions = 8 rank columns: the first 2 dimensions (4 columns + intercept) fit.
        var (x, y) = TestData.Correlated(5, [1.0, 0.5, 0.5, 0.5], seed: 25);
        var r = PartialCorrelation.PartialSpearman(x, y);
        Assert.False(double.IsNaN(r[0]));
        Assert.False(double.IsNaN(r[1]));
        Assert.True(double.IsNaN(r[2]));
        Assert.True(double.IsNaN(r[3]));
    }

    [Fact]
    public void Constant_column_gives_nan_there_and_leaves_later_dimensions_alone()
    {
        var (x, y) = TestData.Correlated(80, [1.0, 0.8, 1.2], seed: 26);
        for (var i = 0; i < x.Rows; i++)
        {
            x[i, 1] = 3.0;
        }

        var r = PartialCorrelation.PartialSpearman(x, y);
        Assert.True(double.IsNaN(r[1]));

        // Dimension 3 controls for x1, y1, y2 only: the constant x2 adds nothing to the regression.
        var xr = TestData.RankColumns(x);
        var yr = TestData.RankColumns(y);
        Assert.Equal(ResidualCorrelation(xr.Column(2), yr.Column(2), [xr.Column(0), yr.Column(0), yr.Column(1)]), r[2], 1e-10);
        Assert.False(double.IsNaN(r[0]));
    }

    [Fact]
    public void Identical_columns_give_exactly_one_and_never_throw()
    {
        var (x, _) = TestData.Correlated(30, [0.0, 0.0], seed: 27);
        var y = x.Clone();
        var r = PartialCorrelation.PartialSpearman(x, y);
        Assert.Equal(1.0, r[0]);

        // y2 = x2 again, but after y1 = x1 the x2 column is still free: r2 = 1 exactly.
        Assert.Equal(1.0, r[1]);
        var negated = x.Clone();
        for (var i = 0; i < negated.Values.Length; i++)
        {
            negated.Values[i] = -negated.Values[i];
        }

        Assert.Equal(-1.0, PartialCorrelation.PartialSpearman(x, negated)[0]);
    }

    [Fact]
    public void Every_kernel_path_gives_the_same_correlations()
    {
        var (x, y) = TestData.Correlated(300, Enumerable.Range(0, 15).Select(j => j % 3 == 0 ? 0.0 : 1.0 / (1 + j)).ToArray(), seed: 28);
        var columns = PartialSpearmanWorkspace.Presort(x, y);
        var weights = Enumerable.Range(0, x.Rows).Select(i => i % 4).ToArray();
        var total = weights.Sum();
        var results = new List<double[]>();
        foreach (var path in new[] { CrossProductPath.Scalar, CrossProductPath.Vector256, CrossProductPath.Vector512 })
        {
            var r = new double[x.Columns];
            new PartialSpearmanWorkspace(columns, x.Columns, path).Compute(weights, total, r);
            results.Add(r);
        }

        var expected = PartialCorrelation.PartialPearsonByResiduals(
            TestData.RankColumns(TestData.Expand(x, weights)), TestData.RankColumns(TestData.Expand(y, weights)));
        foreach (var r in results)
        {
            for (var j = 0; j < x.Columns; j++)
            {
                Assert.Equal(expected[j], r[j], 1e-10);
            }
        }
    }

    [Fact]
    public void Cross_product_kernel_matches_a_plain_sum_on_every_path()
    {
        const int columns = 48;
        const int count = 37;
        const int panelStride = 40 * CrossProductKernel.Panel;
        var random = new SeededRandom(9, RandomPurpose.SyntheticData, 0);
        var rows = new double[(columns / CrossProductKernel.Panel) * panelStride];
        var weighted = new double[rows.Length];
        var dense = new double[count, columns];
        var denseWeighted = new double[count, columns];
        for (var t = 0; t < count; t++)
        {
            var w = 1 + random.NextInt(3);
            for (var c = 0; c < columns; c++)
            {
                var v = random.NextGaussian();
                var at = ((c / CrossProductKernel.Panel) * panelStride) + (t * CrossProductKernel.Panel) + (c % CrossProductKernel.Panel);
                rows[at] = v;
                weighted[at] = w * v;
                dense[t, c] = v;
                denseWeighted[t, c] = w * v;
            }
        }

        double[]? first = null;
        foreach (var path in new[] { CrossProductPath.Scalar, CrossProductPath.Vector256, CrossProductPath.Vector512 })
        {
            var cross = new double[columns * columns];
            CrossProductKernel.AccumulateLower(rows, panelStride, weighted, panelStride, count, columns, cross, path);
            first ??= cross;
            for (var i = 0; i < columns; i++)
            {
                for (var j = 0; j <= i; j++)
                {
                    // Every path fuses each multiply-add in the same order: the same bits on every machine.
                    Assert.Equal(first[(i * columns) + j], cross[(i * columns) + j]);
                }
            }

            for (var i = 0; i < columns; i++)
            {
                for (var j = 0; j <= i; j++)
                {
                    var expected = 0.0;
                    for (var t = 0; t < count; t++)
                    {
                        expected += denseWeighted[t, i] * dense[t, j];
                    }

                    Assert.Equal(expected, cross[(i * columns) + j], 1e-12);
                }
            }
        }
    }

    private static double ResidualCorrelation(double[] a, double[] b, double[][] controls)
    {
        var n = a.Length;
        var design = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, controls.Length + 1, (i, c) => c == 0 ? 1.0 : controls[c - 1][i]);
        var qr = design.QR();
        var va = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(a);
        var vb = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(b);
        var ea = va - (design * qr.Solve(va));
        var eb = vb - (design * qr.Solve(vb));
        return ea.DotProduct(eb) / (ea.L2Norm() * eb.L2Norm());
    }
}
