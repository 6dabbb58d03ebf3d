using MathNet.Numerics.LinearAlgebra;

namespace FaceCluster.Analysis;

/// <summary>Output of the plain gradient projection varimax (<see cref="Varimax.Rotate"/>).</summary>
/// <param name="Loadings"><c>L = A T</c>, <c>p x s</c>.</param>
/// <param name="Rotation">The orthogonal <c>T</c>, <c>s x s</c>.</param>
/// <param name="Criterion">The orthomax objective <c>phi(L)</c> (minimised; <c>-1/4</c> of the varimax criterion).</param>
/// <param name="Iterations">Outer iterations run (the length of statsmodels' <c>table</c>).</param>
/// <param name="Converged">Whether the projected gradient norm fell below the tolerance.</param>
public sealed record VarimaxRotation(RowMajorMatrix Loadings, RowMajorMatrix Rotation, double Criterion, int Iterations, bool Converged);

/// <summary>The rotated significant dimensions as FaceCluster reports them (analysis.md section 6).</summary>
/// <param name="Loadings"><c>L = V_sig T</c>, <c>p x s</c>, columns sign-fixed and ordered.</param>
/// <param name="Labels">Column labels from <see cref="DimensionLabels.For"/>.</param>
/// <param name="PreservedCovariance"><c>diag(L^T S L)</c>, descending.</param>
/// <param name="Rotation"><c>T</c> (<c>s x s</c>) with the same sign flips and column order, so that <c>L = V_sig T</c>.</param>
/// <param name="Iterations">Outer iterations of the gradient projection.</param>
/// <param name="Converged">Whether it met the tolerance within the iteration limit.</param>
public sealed record VarimaxResult(
    RowMajorMatrix Loadings, string[] Labels, double[] PreservedCovariance, RowMajorMatrix Rotation, int Iterations, bool Converged);

/// <summary>
/// Varimax rotation (orthomax, <c>gamma = 1</c>) by the gradient projection algorithm of Bernaards and
/// Jennrich (2005), step for step as statsmodels <c>rotate_factors(A, 'varimax')</c>
/// (<c>GPA</c> with <c>orthomax_objective</c>), and the FaceCluster sign, order and labels.
/// </summary>
/// <remarks>
/// Objective (minimised): <c>phi(L) = -1/4 (L∘L, (I - C)(L∘L))</c>, <c>C</c> the <c>p x p</c> matrix of
/// <c>1/p</c>, i.e. minus a quarter of the sum over columns of <c>p</c> times the variance of the squared
/// loadings; gradient <c>dphi/dL = -L∘((I - C)(L∘L))</c>, and with respect to <c>T</c>: <c>G = A^T dphi/dL</c>.
/// Algorithm: <c>T = I</c>, <c>alpha = 1</c>; for at most <see cref="MaxIterations"/> iterations: the
/// projected gradient <c>Gp = G - T (M + M^T)/2</c> with <c>M = T^T G</c>; stop when
/// <c>s = |Gp|_F &lt; </c><see cref="Tolerance"/>; else double <c>alpha</c> and try up to 11 times
/// <c>X = T - alpha Gp</c>, <c>Tt = U V^T</c> from the SVD <c>X = U D V^T</c> (the orthogonal polar factor),
/// accepting the first <c>Tt</c> with <c>phi(A Tt) &lt; phi(A T) - s^2 alpha / 2</c> and halving
/// <c>alpha</c> after each failure; the last try is taken when none passes. No Kaiser normalisation.
/// </remarks>
public static class Varimax
{
    /// <summary>statsmodels' <c>max_tries</c>.</summary>
    public const int MaxIterations = 501;

    /// <summary>statsmodels' <c>tol</c> on the Frobenius norm of the projected gradient.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>Step halvings tried per iteration.</summary>
    public const int StepHalvings = 11;

    /// <summary>The gradient projection varimax of <paramref name="a"/> (<c>p x s</c>), as statsmodels.</summary>
    public static VarimaxRotation Rotate(RowMajorMatrix a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var p = a.Rows;
        var s = a.Columns;
        var t = Matrix<double>.Build.DenseIdentity(s);
        if (s == 0)
        {
            return new VarimaxRotation(new RowMajorMatrix(p, 0), new RowMajorMatrix(0, 0), 0, 0, true);
        }

        var am = Matrix<double>.Build.Dense(p, s, (i, j) => a[i, j]);
        var f = Objective(am * t, out var gq);
        var g = am.TransposeThisAndMultiply(gq);
        var alpha = 1.0;
        var iterations = 0;
        var converged = false;
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            iterations++;
            var m = t.TransposeThisAndMultiply(g);
            var symmetric = (m + m.Transpose()) / 2;
            var gp = g - (t * symmetric);
            var norm = gp.FrobeniusNorm();
            if (norm < Tolerance)
            {
                converged = true;
                break;
            }

            alpha *= 2;
            Matrix<double> tt = t;
            var ft = f;
            Matrix<double> gqt = gq;
            for (var halving = 0; halving < StepHalvings; halving++)
            {
                var x = t - (alpha * gp);
                var svd = x.Svd(computeVectors: true);
                tt = svd.U * svd.VT;
                ft = Objective(am * tt, out gqt);
                if (ft < f - (0.5 * norm * norm * alpha))
                {
                    break;
                }

                alpha /= 2;
            }

            t = tt;
            f = ft;
            gq = gqt;
            g = am.TransposeThisAndMultiply(gq);
        }

        return new VarimaxRotation(ToRowMajor(am * t), ToRowMajor(t), f, iterations, converged);
    }

    /// <summary>
    /// Section 6 in full, when <paramref name="components"/> (<c>p x s</c>, unit columns) are eigenvectors
    /// of <c>S</c> with <paramref name="eigenvalues"/> <c>lambda_1..lambda_s</c>: rotates them
    /// (<see cref="Rotate"/>), flips each rotated column so that its largest-magnitude entry (lowest row on
    /// ties) is positive, orders the columns by descending preserved covariance
    /// <c>diag(L^T S L)_d = sum_j T_jd^2 lambda_j</c> (ties keep their order) and labels them.
    /// </summary>
    public static VarimaxResult RotateAndOrder(RowMajorMatrix components, ReadOnlySpan<double> eigenvalues)
    {
        ArgumentNullException.ThrowIfNull(components);
        if (eigenvalues.Length != components.Columns)
        {
            throw new ArgumentException($"Expected {components.Columns} eigenvalues, got {eigenvalues.Length}.", nameof(eigenvalues));
        }

        var lambda = eigenvalues.ToArray();
        return Finish(Rotate(components), rotated =>
        {
            var t = rotated.Rotation;
            var covariance = new double[t.Columns];
            for (var d = 0; d < t.Columns; d++)
            {
                for (var j = 0; j < t.Rows; j++)
                {
                    covariance[d] += t[j, d] * t[j, d] * lambda[j];
                }
            }

            return covariance;
        });
    }

    /// <summary>
    /// As <see cref="RotateAndOrder(RowMajorMatrix, ReadOnlySpan{double})"/>, with the preserved covariance
    /// computed from the symmetric <paramref name="s"/> (<c>p x p</c>) as <c>L_d^T S L_d</c>.
    /// </summary>
    public static VarimaxResult RotateAndOrder(RowMajorMatrix components, RowMajorMatrix s)
    {
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(s);
        if (s.Rows != components.Rows || s.Columns != components.Rows)
        {
            throw new ArgumentException($"S must be {components.Rows} x {components.Rows}.", nameof(s));
        }

        return Finish(Rotate(components), rotated =>
        {
            var l = rotated.Loadings;
            var covariance = new double[l.Columns];
            var sl = new double[l.Rows];
            for (var d = 0; d < l.Columns; d++)
            {
                for (var i = 0; i < l.Rows; i++)
                {
                    var sum = 0.0;
                    for (var m = 0; m < l.Rows; m++)
                    {
                        sum += s[i, m] * l[m, d];
                    }

                    sl[i] = sum;
                }

                for (var i = 0; i < l.Rows; i++)
                {
                    covariance[d] += l[i, d] * sl[i];
                }
            }

            return covariance;
        });
    }

    /// <summary><c>phi(L)</c> of the orthomax family at <c>gamma = 1</c> and its gradient <c>-L∘((I - C)(L∘L))</c>.</summary>
    internal static double Objective(Matrix<double> l, out Matrix<double> gradient)
    {
        var p = l.RowCount;
        var s = l.ColumnCount;
        var l2 = l.PointwiseMultiply(l);
        var x = Matrix<double>.Build.Dense(p, s);
        for (var j = 0; j < s; j++)
        {
            var mean = 0.0;
            for (var i = 0; i < p; i++)
            {
                mean += l2[i, j];
            }

            mean /= p;
            for (var i = 0; i < p; i++)
            {
                x[i, j] = l2[i, j] - mean;
            }
        }

        gradient = -l.PointwiseMultiply(x);
        return -l2.PointwiseMultiply(x).Enumerate().Sum() / 4;
    }

    private static VarimaxResult Finish(VarimaxRotation rotated, Func<VarimaxRotation, double[]> preservedCovariance)
    {
        var l = rotated.Loadings;
        var t = rotated.Rotation;
        var s = l.Columns;
        for (var d = 0; d < s; d++)
        {
            var best = 0;
            for (var i = 1; i < l.Rows; i++)
            {
                if (Math.Abs(l[i, d]) > Math.Abs(l[best, d]))
                {
                    best = i;
                }
            }

            if (l.Rows > 0 && l[best, d] < 0)
            {
                Negate(l, d);
                Negate(t, d);
            }
        }

        var covariance = preservedCovariance(rotated);
        var order = Enumerable.Range(0, s).OrderByDescending(d => covariance[d]).ThenBy(d => d).ToArray();
        var loadings = new RowMajorMatrix(l.Rows, s);
        var rotation = new RowMajorMatrix(t.Rows, s);
        var sorted = new double[s];
        var labels = new string[s];
        for (var c = 0; c < s; c++)
        {
            var d = order[c];
            sorted[c] = covariance[d];
            labels[c] = DimensionLabels.For(c);
            for (var i = 0; i < l.Rows; i++)
            {
                loadings[i, c] = l[i, d];
            }

            for (var i = 0; i < t.Rows; i++)
            {
                rotation[i, c] = t[i, d];
            }
        }

        return new VarimaxResult(loadings, labels, sorted, rotation, rotated.Iterations, rotated.Converged);
    }

    private static void Negate(RowMajorMatrix m, int column)
    {
        for (var i = 0; i < m.Rows; i++)
        {
            m[i, column] = -m[i, column];
        }
    }

    private static RowMajorMatrix ToRowMajor(Matrix<double> m)
    {
        var result = new RowMajorMatrix(m.RowCount, m.ColumnCount);
        for (var i = 0; i < m.RowCount; i++)
        {
            for (var j = 0; j < m.ColumnCount; j++)
            {
                result[i, j] = m[i, j];
            }
        }

        return result;
    }
}
