namespace FaceCluster.Analysis;

/// <summary>
/// The t-SNE objective with one degree of freedom: <c>KL(P || Q)</c> and its gradient
/// <c>4 sum_j (e p_ij - q_ij) w_ij (y_i - y_j)</c>, <c>w_ij = 1 / (1 + |y_i - y_j|^2)</c>, where
/// <c>e</c> is the current exaggeration. The KL divergence is always against the un-exaggerated
/// <c>P</c> (scikit-learn reports <c>e P</c>'s during exaggeration). Every point's gradient is
/// computed on its own and reductions run in point order, so results do not depend on threads.
/// </summary>
internal abstract class TsneGradient
{
    protected TsneGradient(int points, int threads)
    {
        Points = points;
        Threads = threads;
    }

    public int Points { get; }

    protected int Threads { get; }

    /// <summary>Writes the gradient at <paramref name="y"/> (x0, y0, x1, y1, ...) and returns the KL divergence when asked, else NaN.</summary>
    public abstract double Evaluate(double[] y, double exaggeration, bool computeError, double[] gradient);
}

/// <summary>The exact gradient as scikit-learn's <c>_kl_divergence</c>, with <c>q_ij</c> floored at machine epsilon.</summary>
internal sealed class ExactTsneGradient : TsneGradient
{
    private readonly double[] _p;
    private readonly double[] _rowSums;

    public ExactTsneGradient(double[] jointP, int points, int threads)
        : base(points, threads)
    {
        _p = jointP;
        _rowSums = new double[points];
    }

    public override double Evaluate(double[] y, double exaggeration, bool computeError, double[] gradient)
    {
        var n = Points;
        RowChunks.For(n, Threads, (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                var xi = y[2 * i];
                var yi = y[(2 * i) + 1];
                var s = 0.0;
                for (var j = 0; j < n; j++)
                {
                    if (j != i)
                    {
                        var dx = xi - y[2 * j];
                        var dy = yi - y[(2 * j) + 1];
                        s += 1.0 / (1.0 + (dx * dx) + (dy * dy));
                    }
                }

                _rowSums[i] = s;
            }
        });

        var z = 0.0;
        for (var i = 0; i < n; i++)
        {
            z += _rowSums[i];
        }

        var p = _p;
        var errors = computeError ? new double[n] : null;
        RowChunks.For(n, Threads, (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                var xi = y[2 * i];
                var yi = y[(2 * i) + 1];
                double gx = 0, gy = 0, kl = 0;
                var row = i * n;
                for (var j = 0; j < n; j++)
                {
                    if (j == i)
                    {
                        continue;
                    }

                    var dx = xi - y[2 * j];
                    var dy = yi - y[(2 * j) + 1];
                    var w = 1.0 / (1.0 + (dx * dx) + (dy * dy));
                    var q = Math.Max(w / z, TsneAffinities.MachineEpsilon);
                    var pij = p[row + j];
                    var m = ((exaggeration * pij) - q) * w;
                    gx += m * dx;
                    gy += m * dy;

                    // scikit-learn sums each pair once (j > i) and doubles.
                    if (errors is not null && j > i)
                    {
                        kl += pij * Math.Log(pij / q);
                    }
                }

                gradient[2 * i] = 4.0 * gx;
                gradient[(2 * i) + 1] = 4.0 * gy;
                if (errors is not null)
                {
                    errors[i] = kl;
                }
            }
        });

        if (errors is null)
        {
            return double.NaN;
        }

        var total = 0.0;
        foreach (var e in errors)
        {
            total += e;
        }

        return 2.0 * total;
    }
}

/// <summary>
/// The Barnes-Hut gradient as scikit-learn's <c>_barnes_hut_tsne.gradient</c> (in double rather than
/// float): attraction over the sparse affinities, repulsion and <c>Z</c> from the quadtree.
/// </summary>
internal sealed class BarnesHutTsneGradient : TsneGradient
{
    /// <summary>scikit-learn's <c>FLOAT32_TINY</c>: the floor of <c>p_ij</c> and <c>q_ij</c> inside the logarithm.</summary>
    private const double Float32Tiny = 1.1754943508222875e-38;

    private readonly SparseAffinities _p;
    private readonly double _squaredTheta;
    private readonly QuadTree _tree = new();
    private readonly double[] _repulsion;
    private readonly double[] _attraction;
    private readonly double[] _z;

    public BarnesHutTsneGradient(SparseAffinities p, double theta, int points, int threads)
        : base(points, threads)
    {
        _p = p;
        _squaredTheta = theta * theta;
        _repulsion = new double[2 * points];
        _attraction = new double[2 * points];
        _z = new double[points];
    }

    public override double Evaluate(double[] y, double exaggeration, bool computeError, double[] gradient)
    {
        var n = Points;
        _tree.Build(y);
        var stackSize = _tree.StackSize;
        var rowStart = _p.RowStart;
        var columns = _p.Columns;
        var values = _p.Values;
        RowChunks.For(n, Threads, (start, end) =>
        {
            Span<int> stack = stackSize <= 512 ? stackalloc int[512] : new int[stackSize];
            for (var i = start; i < end; i++)
            {
                var xi = y[2 * i];
                var yi = y[(2 * i) + 1];
                _z[i] = _tree.Repulsion(xi, yi, _squaredTheta, stack, out var rx, out var ry);
                _repulsion[2 * i] = rx;
                _repulsion[(2 * i) + 1] = ry;

                double ax = 0, ay = 0;
                for (var t = rowStart[i]; t < rowStart[i + 1]; t++)
                {
                    var j = columns[t];
                    var dx = xi - y[2 * j];
                    var dy = yi - y[(2 * j) + 1];
                    var m = exaggeration * values[t] / (1.0 + (dx * dx) + (dy * dy));
                    ax += m * dx;
                    ay += m * dy;
                }

                _attraction[2 * i] = ax;
                _attraction[(2 * i) + 1] = ay;
            }
        });

        var z = 0.0;
        for (var i = 0; i < n; i++)
        {
            z += _z[i];
        }

        for (var c = 0; c < 2 * n; c++)
        {
            gradient[c] = 4.0 * (_attraction[c] - (_repulsion[c] / z));
        }

        return computeError ? Error(y, z) : double.NaN;
    }

    private double Error(double[] y, double z)
    {
        var rowStart = _p.RowStart;
        var columns = _p.Columns;
        var values = _p.Values;
        var total = 0.0;
        for (var i = 0; i < Points; i++)
        {
            for (var t = rowStart[i]; t < rowStart[i + 1]; t++)
            {
                var j = columns[t];
                var dx = y[2 * i] - y[2 * j];
                var dy = y[(2 * i) + 1] - y[(2 * j) + 1];
                var q = 1.0 / (1.0 + (dx * dx) + (dy * dy)) / z;
                var pij = values[t];
                total += pij * Math.Log(Math.Max(pij, Float32Tiny) / Math.Max(q, Float32Tiny));
            }
        }

        return total;
    }
}
