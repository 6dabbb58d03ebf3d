namespace FaceCluster.Analysis.Tests;

public class VarimaxTests
{
    [Fact]
    public void Two_factor_rotation_reaches_the_best_angle_by_brute_force_and_by_kaisers_closed_form()
    {
        var a = Orthonormal(TestData.Gaussian(12, 2, 41));
        var result = Varimax.Rotate(a);
        Assert.True(result.Converged);

        // Brute force over the angle (the criterion has period pi/2 up to column swaps and signs).
        const int steps = 20000;
        var best = 0.0;
        var bestValue = double.NegativeInfinity;
        for (var s = 0; s < steps; s++)
        {
            var theta = s * (Math.PI / 2) / steps;
            var value = Criterion(a, theta);
            if (value > bestValue)
            {
                bestValue = value;
                best = theta;
            }
        }

        var step = Math.PI / 2 / steps;
        var (lo, hi) = (best - step, best + step);
        for (var i = 0; i < 200; i++)
        {
            var m1 = lo + ((hi - lo) / 3);
            var m2 = hi - ((hi - lo) / 3);
            if (Criterion(a, m1) < Criterion(a, m2))
            {
                lo = m1;
            }
            else
            {
                hi = m2;
            }
        }

        best = (lo + hi) / 2;
        bestValue = Criterion(a, best);

        // Kaiser (1958): tan 4 theta = (D - 2AB/p) / (C - (A^2 - B^2)/p) for the pair of columns.
        double sa = 0, sb = 0, sc = 0, sd = 0;
        var p = a.Rows;
        for (var i = 0; i < p; i++)
        {
            var u = (a[i, 0] * a[i, 0]) - (a[i, 1] * a[i, 1]);
            var v = 2 * a[i, 0] * a[i, 1];
            sa += u;
            sb += v;
            sc += (u * u) - (v * v);
            sd += 2 * u * v;
        }

        var kaiser = Math.Atan2(sd - (2 * sa * sb / p), sc - (((sa * sa) - (sb * sb)) / p)) / 4;
        Assert.Equal(bestValue, Criterion(a, kaiser), 1e-12);

        // statsmodels' phi is -1/4 of the varimax criterion. GPA stops once the projected gradient is
        // below 1e-5, which leaves the criterion about g^2 / curvature (~1e-9) short of the optimum.
        Assert.Equal(bestValue, -4 * result.Criterion, 1e-8);
        Assert.True(-4 * result.Criterion <= bestValue + 1e-12);

        // Same loadings up to column order and sign.
        var expected = Rotate(a, best);
        for (var d = 0; d < 2; d++)
        {
            var column = result.Loadings.Column(d);
            var distance = Enumerable.Range(0, 2).SelectMany(e => new[] { 1.0, -1.0 }.Select(sign =>
                Enumerable.Range(0, p).Max(i => Math.Abs(column[i] - (sign * expected[i, e]))))).Min();
            Assert.True(distance < 1e-4, $"column {d} is {distance} away");
        }
    }

    [Fact]
    public void Rotation_is_orthogonal_and_loadings_are_a_times_t()
    {
        var a = Orthonormal(TestData.Gaussian(30, 6, 42));
        var result = Varimax.Rotate(a);
        Assert.True(result.Converged);
        Assert.InRange(result.Iterations, 2, Varimax.MaxIterations);
        var t = result.Rotation;
        for (var i = 0; i < 6; i++)
        {
            for (var j = 0; j < 6; j++)
            {
                var dot = Enumerable.Range(0, 6).Sum(m => t[m, i] * t[m, j]);
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 1e-12);
            }
        }

        for (var i = 0; i < a.Rows; i++)
        {
            for (var d = 0; d < 6; d++)
            {
                Assert.Equal(Enumerable.Range(0, 6).Sum(m => a[i, m] * t[m, d]), result.Loadings[i, d], 1e-12);
            }
        }

        // The rotation improves the criterion over the start T = I.
        Assert.True(result.Criterion < Varimax.Objective(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(a.Rows, a.Columns, (i, j) => a[i, j]), out _));
    }

    [Fact]
    public void Recovers_a_rotated_simple_structure()
    {
        // Perfect simple structure, rotated by 30 degrees: varimax undoes the rotation.
        double[,] simple = { { 0.6, 0 }, { 0.5, 0 }, { 0.4, 0 }, { 0, 0.5 }, { 0, 0.45 }, { 0, 0.3 } };
        var a = new RowMajorMatrix(6, 2);
        var (c, s) = (Math.Cos(Math.PI / 6), Math.Sin(Math.PI / 6));
        for (var i = 0; i < 6; i++)
        {
            a[i, 0] = (simple[i, 0] * c) - (simple[i, 1] * s);
            a[i, 1] = (simple[i, 0] * s) + (simple[i, 1] * c);
        }

        var l = Varimax.Rotate(a).Loadings;
        for (var i = 0; i < 6; i++)
        {
            // Column order and signs are whatever GPA reached; compare magnitudes of the matching columns
            // (to the accuracy that the 1e-5 gradient tolerance leaves).
            var match = Math.Abs(l[0, 0]) > Math.Abs(l[0, 1]) ? 0 : 1;
            Assert.Equal(simple[i, 0], Math.Abs(l[i, match]), 1e-4);
            Assert.Equal(simple[i, 1], Math.Abs(l[i, 1 - match]), 1e-4);
        }
    }

    [Fact]
    public void Columns_are_sign_fixed_ordered_by_preserved_covariance_and_labelled()
    {
        const int p = 10;
        const int s = 4;
        var basis = Orthonormal(TestData.Gaussian(p, p, 43));
        var lambda = new[] { 9.0, 7.0, 4.0, 2.5, 1.0, 0.5, 0.2, 0.1, 0.05, 0.01 };
        var sMatrix = new RowMajorMatrix(p, p);
        for (var i = 0; i < p; i++)
        {
            for (var j = 0; j < p; j++)
            {
                sMatrix[i, j] = Enumerable.Range(0, p).Sum(m => basis[i, m] * lambda[m] * basis[j, m]);
            }
        }

        var components = basis.LeadingColumns(s);
        var byEigenvalues = Varimax.RotateAndOrder(components, lambda.AsSpan(0, s));
        var byMatrix = Varimax.RotateAndOrder(components, sMatrix);
        Assert.Equal(["A", "B", "C", "D"], byEigenvalues.Labels);
        for (var d = 0; d < s; d++)
        {
            Assert.Equal(byEigenvalues.PreservedCovariance[d], byMatrix.PreservedCovariance[d], 1e-10);
            if (d > 0)
            {
                Assert.True(byEigenvalues.PreservedCovariance[d - 1] >= byEigenvalues.PreservedCovariance[d]);
            }

            var column = byEigenvalues.Loadings.Column(d);
            var largest = column.OrderByDescending(Math.Abs).First();
            Assert.True(largest > 0);
            Assert.Equal(Enumerable.Range(0, s).Sum(j => byEigenvalues.Rotation[j, d] * byEigenvalues.Rotation[j, d] * lambda[j]), byEigenvalues.PreservedCovariance[d], 1e-12);
            for (var i = 0; i < p; i++)
            {
                Assert.Equal(Enumerable.Range(0, s).Sum(j => components[i, j] * byEigenvalues.Rotation[j, d]), byEigenvalues.Loadings[i, d], 1e-12);
            }
        }

        // The total preserved covariance is invariant under the rotation.
        Assert.Equal(lambda.Take(s).Sum(), byEigenvalues.PreservedCovariance.Sum(), 1e-10);
    }

    [Fact]
    public void Labels_follow_the_alphabet_then_psi_omega_then_numbers()
    {
        Assert.Equal("A", DimensionLabels.For(0));
        Assert.Equal("Z", DimensionLabels.For(25));
        Assert.Equal("Ψ", DimensionLabels.For(26));
        Assert.Equal("Ω", DimensionLabels.For(27));
        Assert.Equal("D29", DimensionLabels.For(28));
        Assert.Equal("D30", DimensionLabels.For(29));
    }

    [Fact]
    public void Single_and_empty_sets_of_columns_are_left_alone()
    {
        var one = Orthonormal(TestData.Gaussian(5, 1, 44));
        var result = Varimax.RotateAndOrder(one, [2.0]);
        Assert.Equal(1.0, Math.Abs(result.Rotation[0, 0]), 1e-15);
        Assert.Equal(2.0, result.PreservedCovariance[0], 1e-15);
        Assert.Empty(Varimax.RotateAndOrder(new RowMajorMatrix(5, 0), []).Labels);
    }

    private static double Criterion(RowMajorMatrix a, double theta)
    {
        var l = Rotate(a, theta);
        var total = 0.0;
        for (var d = 0; d < 2; d++)
        {
            double fourth = 0, square = 0;
            for (var i = 0; i < a.Rows; i++)
            {
                var v2 = l[i, d] * l[i, d];
                fourth += v2 * v2;
                square += v2;
            }

            total += fourth - (square * square / a.Rows);
        }

        return total;
    }

    private static RowMajorMatrix Rotate(RowMajorMatrix a, double theta)
    {
        var (c, s) = (Math.Cos(theta), Math.Sin(theta));
        var l = new RowMajorMatrix(a.Rows, 2);
        for (var i = 0; i < a.Rows; i++)
        {
            l[i, 0] = (a[i, 0] * c) + (a[i, 1] * s);
            l[i, 1] = (-a[i, 0] * s) + (a[i, 1] * c);
        }

        return l;
    }

    private static RowMajorMatrix Orthonormal(RowMajorMatrix m)
    {
        var q = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(m.Rows, m.Columns, (i, j) => m[i, j]).QR().Q;
        var result = new RowMajorMatrix(m.Rows, m.Columns);
        for (var i = 0; i < m.Rows; i++)
        {
            for (var j = 0; j < m.Columns; j++)
            {
                result[i, j] = q[i, j];
            }
        }

        return result;
    }
}
