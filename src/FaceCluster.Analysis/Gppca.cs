using MathNet.Numerics.Distributions;

namespace FaceCluster.Analysis;

/// <summary>Test results of one pair of countries <c>a &lt; b</c> (0-based), one entry per dimension.</summary>
/// <param name="A">First country.</param>
/// <param name="B">Second country.</param>
/// <param name="R">Partial Pearson correlation of the held-out scores of dimension <c>j</c>, controlling for dimensions <c>&lt; j</c> of both.</param>
/// <param name="P">Two-sided t-test p-value with <c>n - 2 - 2(j - 1)</c> degrees of freedom (<c>j</c> 1-based).</param>
/// <param name="Q">Benjamini-Hochberg adjusted p-values over the dimensions of this pair.</param>
public sealed record GppcaPair(int A, int B, double[] R, double[] P, double[] Q);

/// <summary>Result of <see cref="Gppca.Run"/> (analysis.md section 8).</summary>
/// <param name="Eigenvalues">Eigenvalues of the all-rows <c>S_G</c>, descending (<c>q</c>).</param>
/// <param name="Components">The all-rows eigenvectors <c>W</c> (<c>q x q</c>, columns, largest entry positive).</param>
/// <param name="Dimensions">The number of tested dimensions <c>min(48, q)</c>.</param>
/// <param name="Scores">Held-out scores <c>G_a</c>, one <c>n x Dimensions</c> table per country.</param>
/// <param name="Pairs">One entry per pair <c>a &lt; b</c>, in lexicographic order.</param>
/// <param name="Preserved">Per dimension: the significance graph is connected and every country has degree at least <c>min(2, c - 1)</c>.</param>
public sealed record GppcaResult(
    double[] Eigenvalues, RowMajorMatrix Components, int Dimensions, IReadOnlyList<RowMajorMatrix> Scores, IReadOnlyList<GppcaPair> Pairs, bool[] Preserved)
{
    /// <summary>The number of preserved dimensions.</summary>
    public int PreservedCount => Preserved.Count(x => x);
}

/// <summary>
/// Generalized PPCA over several countries (analysis.md section 8): the shared covariance of judgments
/// of the same stimuli on the same concepts across countries, leave-one-stimulus-out scores, pairwise
/// tests and the preservation graph.
/// </summary>
/// <remarks>
/// <para>
/// Fit on rows <c>R</c> (<c>m</c> of them): centre each <c>X_a</c> on its own column means over <c>R</c>
/// and <c>S_G = sum_{a != b} X_a^T X_b / ((m - 1) c (c - 1))</c> (ordered pairs, so symmetric), computed
/// as <c>(Z^T Z - sum_a X_a^T X_a) / ((m - 1) c (c - 1))</c> with <c>Z = sum_a X_a</c>; eigenvectors in
/// descending eigenvalue order; the all-rows fit flips each so that its largest entry is positive.
/// </para>
/// <para>
/// Leave-one-stimulus-out by an exact downdate of the scatter <c>T_G = (m - 1) c (c - 1) S_G</c>: with
/// <c>x~_a</c> row <c>i</c> of country <c>a</c> centred at the all-rows means and <c>s = sum_a x~_a</c>,
/// <c>T_G^(-i) = T_G - (n/(n-1)) (s s^T - sum_a x~_a x~_a^T)</c> and
/// <c>x_{a,i} - mu_a^(-i) = x~_a n/(n-1)</c>. In the all-rows eigenbasis (<c>T_G = W diag(d) W^T</c>,
/// <c>z_a = W^T x~_a</c>, <c>z = sum_a z_a</c>) the fold's matrix is
/// <c>M = diag(d) - (n/(n-1)) (z z^T - sum_a z_a z_a^T)</c> (<c>q x q</c>); with <c>M = U diag U^T</c>,
/// <c>W^(-i) = W U</c>, the sign rule <c>W^(-i)_j . W_j = U[j, j] &gt;= 0</c>, and the held-out scores are
/// <c>(n/(n-1)) z_a^T U</c>. One <c>q x q</c> eigendecomposition per fold (<see cref="SymmetricEigen"/>);
/// folds run in parallel and each writes only its own rows, so any thread count gives the same bits.
/// </para>
/// </remarks>
public static class Gppca
{
    /// <summary>At most this many dimensions are tested.</summary>
    public const int MaxDimensions = 48;

    /// <summary>Runs section 8 on <paramref name="countries"/> (<c>c &gt;= 2</c> tables, <c>n x q</c> each, <c>n &gt;= 3</c>).</summary>
    /// <param name="countries">One table per country: same stimuli (rows) and concepts (columns) in the same order.</param>
    /// <param name="threads">Worker threads for the leave-one-out folds.</param>
    /// <param name="alpha">Level of the per-pair Benjamini-Hochberg step.</param>
    /// <exception cref="ArgumentException">Fewer than two countries or three stimuli, or tables of different shapes.</exception>
    public static GppcaResult Run(IReadOnlyList<RowMajorMatrix> countries, int threads = 1, double alpha = 0.05)
    {
        var (n, q, c) = Check(countries);
        var k = Math.Min(MaxDimensions, q);
        var fit = Fit(countries);
        var scores = LeaveOneOutScores(countries, fit, k, threads);
        var pairs = new List<GppcaPair>();
        for (var a = 0; a < c; a++)
        {
            for (var b = a + 1; b < c; b++)
            {
                var r = PartialCorrelation.PartialPearsonByCholesky(scores[a], scores[b]);
                var p = new double[k];
                for (var j = 0; j < k; j++)
                {
                    p[j] = TwoSidedP(r[j], n - 2 - (2 * j));
                }

                pairs.Add(new GppcaPair(a, b, r, p, MultipleTesting.BenjaminiHochberg(p)));
            }
        }

        var preserved = new bool[k];
        for (var j = 0; j < k; j++)
        {
            var edges = new bool[c, c];
            foreach (var pair in pairs)
            {
                if (pair.Q[j] <= alpha && pair.R[j] > 0)
                {
                    edges[pair.A, pair.B] = true;
                    edges[pair.B, pair.A] = true;
                }
            }

            preserved[j] = IsPreserved(edges);
        }

        return new GppcaResult(fit.Values, fit.Vectors, k, scores, pairs, preserved);
    }

    /// <summary>
    /// The all-rows fit: eigenvalues of <c>S_G</c> (descending) and eigenvectors, each flipped so that its
    /// largest-magnitude entry is positive.
    /// </summary>
    public static SymmetricEigen Fit(IReadOnlyList<RowMajorMatrix> countries)
    {
        var (n, q, c) = Check(countries);
        var centred = Centre(countries, skipRow: -1);
        var scatter = Scatter(centred, skipRow: -1, q);
        var scale = 1.0 / ((n - 1.0) * c * (c - 1.0));
        for (var i = 0; i < scatter.Values.Length; i++)
        {
            scatter.Values[i] *= scale;
        }

        var eigen = SymmetricEigen.Decompose(scatter);
        SymmetricEigen.OrientByLargestEntry(eigen.Vectors);
        return eigen;
    }

    /// <summary>
    /// Leave-one-stimulus-out held-out scores <c>G_a</c> (<c>n x dimensions</c>, one per country) by the
    /// exact downdate of the type remarks.
    /// </summary>
    public static RowMajorMatrix[] LeaveOneOutScores(IReadOnlyList<RowMajorMatrix> countries, int dimensions, int threads = 1)
        => LeaveOneOutScores(countries, Fit(countries), dimensions, threads);

    /// <summary>
    /// The same scores by refitting on all rows but <c>i</c> for every <c>i</c> (new means, new <c>S_G</c>,
    /// a dense eigendecomposition, sign along the all-rows <c>W</c>): <c>O(n^2 q^2 c)</c>, for tests.
    /// </summary>
    public static RowMajorMatrix[] LeaveOneOutScoresNaive(IReadOnlyList<RowMajorMatrix> countries, int dimensions)
    {
        var (n, q, c) = Check(countries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, q);
        var w = Fit(countries).Vectors;
        var scores = new RowMajorMatrix[c];
        for (var a = 0; a < c; a++)
        {
            scores[a] = new RowMajorMatrix(n, dimensions);
        }

        for (var i = 0; i < n; i++)
        {
            var centred = Centre(countries, skipRow: i);
            var fold = SymmetricEigen.Decompose(Scatter(centred, skipRow: i, q));
            SymmetricEigen.OrientAlong(fold.Vectors, w, q);
            for (var a = 0; a < c; a++)
            {
                for (var j = 0; j < dimensions; j++)
                {
                    var sum = 0.0;
                    for (var m = 0; m < q; m++)
                    {
                        sum += centred[a][i, m] * fold.Vectors[m, j];
                    }

                    scores[a][i, j] = sum;
                }
            }
        }

        return scores;
    }

    /// <summary>
    /// Two-sided p-value of a (partial) Pearson correlation <paramref name="r"/> with
    /// <paramref name="degreesOfFreedom"/>: <c>t = r sqrt(df / (1 - r^2))</c>,
    /// <c>p = 2 F_t(-|t|; df)</c> (Student t). <c>|r| = 1</c> gives 0; NaN when <c>r</c> is NaN or <c>df &lt; 1</c>.
    /// </summary>
    public static double TwoSidedP(double r, int degreesOfFreedom)
    {
        if (double.IsNaN(r) || degreesOfFreedom < 1)
        {
            return double.NaN;
        }

        var oneMinus = 1.0 - (r * r);
        if (oneMinus <= 0)
        {
            return 0.0;
        }

        var t = Math.Abs(r) * Math.Sqrt(degreesOfFreedom / oneMinus);
        return Math.Min(1.0, 2.0 * StudentT.CDF(0.0, 1.0, degreesOfFreedom, -t));
    }

    /// <summary>
    /// The preservation rule of section 8 on a symmetric adjacency matrix of countries (the diagonal is
    /// ignored): the graph is connected and every country has degree at least <c>min(2, c - 1)</c>.
    /// </summary>
    public static bool IsPreserved(bool[,] edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        var c = edges.GetLength(0);
        if (edges.GetLength(1) != c)
        {
            throw new ArgumentException("The adjacency matrix must be square.", nameof(edges));
        }

        if (c == 0)
        {
            return false;
        }

        var minimumDegree = Math.Min(2, c - 1);
        for (var a = 0; a < c; a++)
        {
            var degree = 0;
            for (var b = 0; b < c; b++)
            {
                if (a != b && edges[a, b])
                {
                    degree++;
                }
            }

            if (degree < minimumDegree)
            {
                return false;
            }
        }

        var seen = new bool[c];
        var stack = new Stack<int>();
        stack.Push(0);
        seen[0] = true;
        var reached = 1;
        while (stack.Count > 0)
        {
            var a = stack.Pop();
            for (var b = 0; b < c; b++)
            {
                if (a != b && edges[a, b] && !seen[b])
                {
                    seen[b] = true;
                    reached++;
                    stack.Push(b);
                }
            }
        }

        return reached == c;
    }

    private static RowMajorMatrix[] LeaveOneOutScores(IReadOnlyList<RowMajorMatrix> countries, SymmetricEigen fit, int dimensions, int threads)
    {
        var (n, q, c) = Check(countries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, q);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var w = fit.Vectors;

        // Eigenvalues of the scatter T_G, and z_a = W^T x~_a for every row: Z_a = X~_a W.
        var scatterScale = (n - 1.0) * c * (c - 1.0);
        var d = fit.Values.Select(v => v * scatterScale).ToArray();
        var centred = Centre(countries, skipRow: -1);
        var z = new RowMajorMatrix[c];
        for (var a = 0; a < c; a++)
        {
            z[a] = Multiply(centred[a], w);
        }

        var scores = new RowMajorMatrix[c];
        for (var a = 0; a < c; a++)
        {
            scores[a] = new RowMajorMatrix(n, dimensions);
        }

        var rho = n / (n - 1.0);
        var next = -1;
        var workers = Math.Min(threads, n);
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, _ =>
        {
            var m = new RowMajorMatrix(q, q);
            var sum = new double[q];
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
            {
                // M = diag(d) - rho (s s^T - sum_a z_a z_a^T), in the all-rows eigenbasis.
                Array.Clear(sum);
                for (var a = 0; a < c; a++)
                {
                    var za = z[a].Row(i);
                    for (var l = 0; l < q; l++)
                    {
                        sum[l] += za[l];
                    }
                }

                for (var r = 0; r < q; r++)
                {
                    var row = m.Row(r);
                    for (var l = 0; l <= r; l++)
                    {
                        var own = 0.0;
                        for (var a = 0; a < c; a++)
                        {
                            own += z[a][i, r] * z[a][i, l];
                        }

                        row[l] = -rho * ((sum[r] * sum[l]) - own);
                    }

                    row[r] += d[r];
                }

                for (var r = 0; r < q; r++)
                {
                    for (var l = r + 1; l < q; l++)
                    {
                        m[r, l] = m[l, r];
                    }
                }

                var u = SymmetricEigen.Decompose(m).Vectors;
                for (var j = 0; j < dimensions; j++)
                {
                    var sign = u[j, j] < 0 ? -rho : rho;
                    for (var a = 0; a < c; a++)
                    {
                        var za = z[a].Row(i);
                        var score = 0.0;
                        for (var l = 0; l < q; l++)
                        {
                            score += za[l] * u[l, j];
                        }

                        scores[a][i, j] = sign * score;
                    }
                }
            }
        });
        return scores;
    }

    /// <summary>Each table centred on its own column means over all rows but <paramref name="skipRow"/> (none when -1); that row is centred too.</summary>
    private static RowMajorMatrix[] Centre(IReadOnlyList<RowMajorMatrix> countries, int skipRow)
    {
        var result = new RowMajorMatrix[countries.Count];
        for (var a = 0; a < countries.Count; a++)
        {
            var x = countries[a];
            var means = new double[x.Columns];
            var m = 0;
            for (var i = 0; i < x.Rows; i++)
            {
                if (i == skipRow)
                {
                    continue;
                }

                m++;
                var row = x.Row(i);
                for (var j = 0; j < x.Columns; j++)
                {
                    means[j] += row[j];
                }
            }

            for (var j = 0; j < x.Columns; j++)
            {
                means[j] /= m;
            }

            var centred = x.Clone();
            for (var i = 0; i < x.Rows; i++)
            {
                var row = centred.Row(i);
                for (var j = 0; j < x.Columns; j++)
                {
                    row[j] -= means[j];
                }
            }

            result[a] = centred;
        }

        return result;
    }

    /// <summary><c>sum over rows != skipRow of (s s^T - sum_a x_a x_a^T)</c>, <c>s = sum_a x_a</c>: the cross-country scatter, unscaled.</summary>
    private static RowMajorMatrix Scatter(RowMajorMatrix[] centred, int skipRow, int q)
    {
        var scatter = new RowMajorMatrix(q, q);
        var sum = new double[q];
        for (var i = 0; i < centred[0].Rows; i++)
        {
            if (i == skipRow)
            {
                continue;
            }

            Array.Clear(sum);
            foreach (var x in centred)
            {
                var row = x.Row(i);
                for (var j = 0; j < q; j++)
                {
                    sum[j] += row[j];
                }
            }

            for (var r = 0; r < q; r++)
            {
                var target = scatter.Row(r);
                var sr = sum[r];
                for (var l = 0; l <= r; l++)
                {
                    target[l] += sr * sum[l];
                }

                foreach (var x in centred)
                {
                    var row = x.Row(i);
                    var xr = row[r];
                    for (var l = 0; l <= r; l++)
                    {
                        target[l] -= xr * row[l];
                    }
                }
            }
        }

        for (var r = 0; r < q; r++)
        {
            for (var l = r + 1; l < q; l++)
            {
                scatter[r, l] = scatter[l, r];
            }
        }

        return scatter;
    }

    private static RowMajorMatrix Multiply(RowMajorMatrix x, RowMajorMatrix w)
    {
        var result = new RowMajorMatrix(x.Rows, w.Columns);
        for (var i = 0; i < x.Rows; i++)
        {
            var row = x.Row(i);
            var target = result.Row(i);
            for (var m = 0; m < w.Rows; m++)
            {
                var v = row[m];
                var wm = w.Row(m);
                for (var j = 0; j < w.Columns; j++)
                {
                    target[j] += v * wm[j];
                }
            }
        }

        return result;
    }

    private static (int N, int Q, int C) Check(IReadOnlyList<RowMajorMatrix> countries)
    {
        ArgumentNullException.ThrowIfNull(countries);
        if (countries.Count < 2)
        {
            throw new ArgumentException("G-PPCA needs at least two countries.", nameof(countries));
        }

        var n = countries[0].Rows;
        var q = countries[0].Columns;
        foreach (var x in countries)
        {
            ArgumentNullException.ThrowIfNull(x, nameof(countries));
            if (x.Rows != n || x.Columns != q)
            {
                throw new ArgumentException("Every country needs the same stimuli and concepts.", nameof(countries));
            }
        }

        if (n < 3)
        {
            throw new ArgumentException("G-PPCA leave-one-out needs at least three stimuli.", nameof(countries));
        }

        return (n, q, countries.Count);
    }
}
