namespace FaceCluster.Analysis;

/// <summary>
/// The point-region quadtree of Barnes-Hut t-SNE, built as scikit-learn's <c>_QuadTree</c>: the root
/// box is the data's bounding box with its maximum pushed out by <c>max(1e-3 |M|, 1e-3)</c>, each leaf
/// holds one point (points within <c>1e-6</c> in both coordinates are merged as duplicates), and a
/// cell is summarised by its centre of mass when <c>width^2 / d^2 &lt; theta^2</c>. Stored in flat
/// arrays reused between iterations, so rebuilding allocates nothing once capacity is reached.
/// </summary>
internal sealed class QuadTree
{
    private const double DuplicateTolerance = 1e-6;

    private double[] _centerX = new double[64];
    private double[] _centerY = new double[64];
    private double[] _halfX = new double[64];
    private double[] _halfY = new double[64];
    private double[] _massX = new double[64];
    private double[] _massY = new double[64];
    private double[] _squaredWidth = new double[64];
    private int[] _count = new int[64];
    private int[] _firstChild = new int[64];
    private int _cells;

    /// <summary>Deepest level of the last build (root = 0).</summary>
    public int Depth { get; private set; }

    /// <summary>Number of cells of the last build.</summary>
    public int Cells => _cells;

    /// <summary>Rebuilds the tree over the points <c>(y[2i], y[2i + 1])</c>.</summary>
    public void Build(ReadOnlySpan<double> y)
    {
        var n = y.Length / 2;
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity;
        double maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        for (var i = 0; i < n; i++)
        {
            minX = Math.Min(minX, y[2 * i]);
            maxX = Math.Max(maxX, y[2 * i]);
            minY = Math.Min(minY, y[(2 * i) + 1]);
            maxY = Math.Max(maxY, y[(2 * i) + 1]);
        }

        // As scikit-learn: keep every point strictly inside the root for positive, negative and tiny maxima.
        maxX = Math.Max(maxX * (1.0 + (1e-3 * Math.Sign(maxX))), maxX + 1e-3);
        maxY = Math.Max(maxY * (1.0 + (1e-3 * Math.Sign(maxY))), maxY + 1e-3);

        _cells = 0;
        Depth = 0;
        var root = NewCell((minX + maxX) / 2, (minY + maxY) / 2, (maxX - minX) / 2, (maxY - minY) / 2);
        for (var i = 0; i < n; i++)
        {
            Insert(root, y[2 * i], y[(2 * i) + 1]);
        }

        // Sums of positions become centres of mass.
        for (var c = 0; c < _cells; c++)
        {
            if (_count[c] > 0)
            {
                _massX[c] /= _count[c];
                _massY[c] /= _count[c];
            }
        }
    }

    /// <summary>
    /// The Barnes-Hut repulsion on the point <c>(x, y)</c>: <c>sum_cells N_c q_c^2 (y - y_c)</c> into
    /// <paramref name="forceX"/>, <paramref name="forceY"/> and <c>sum_cells N_c q_c</c> (its share of the
    /// normaliser Z) as the result, with <c>q_c = 1 / (1 + |y - y_c|^2)</c>. The point's own leaf is skipped.
    /// <paramref name="stack"/> needs <see cref="StackSize"/> entries.
    /// </summary>
    public double Repulsion(double x, double y, double squaredTheta, Span<int> stack, out double forceX, out double forceY)
    {
        double fx = 0, fy = 0, z = 0;
        var top = 0;
        stack[top++] = 0;
        while (top > 0)
        {
            var c = stack[--top];
            var count = _count[c];
            if (count == 0)
            {
                continue;
            }

            var dx = x - _massX[c];
            var dy = y - _massY[c];
            var d2 = (dx * dx) + (dy * dy);
            var first = _firstChild[c];
            if (first < 0)
            {
                if (Math.Abs(dx) <= DuplicateTolerance && Math.Abs(dy) <= DuplicateTolerance)
                {
                    continue;
                }
            }
            else if (!(_squaredWidth[c] < squaredTheta * d2))
            {
                // Children pushed last-first so that they are visited in order 0..3.
                stack[top++] = first + 3;
                stack[top++] = first + 2;
                stack[top++] = first + 1;
                stack[top++] = first;
                continue;
            }

            var q = 1.0 / (1.0 + d2);
            z += count * q;
            var m = count * q * q;
            fx += m * dx;
            fy += m * dy;
        }

        forceX = fx;
        forceY = fy;
        return z;
    }

    /// <summary>Stack entries <see cref="Repulsion"/> needs for the current tree.</summary>
    public int StackSize => (3 * (Depth + 1)) + 2;

    private void Insert(int cell, double x, double y)
    {
        var depth = 0;
        while (true)
        {
            if (_count[cell] == 0)
            {
                _count[cell] = 1;
                _massX[cell] = x;
                _massY[cell] = y;
                Depth = Math.Max(Depth, depth);
                return;
            }

            var first = _firstChild[cell];
            if (first < 0)
            {
                // A leaf: its mass sums are count copies of its single position.
                var px = _massX[cell] / _count[cell];
                var py = _massY[cell] / _count[cell];
                if (Math.Abs(px - x) <= DuplicateTolerance && Math.Abs(py - y) <= DuplicateTolerance)
                {
                    _count[cell]++;
                    _massX[cell] += px;
                    _massY[cell] += py;
                    return;
                }

                first = Split(cell);
                var moved = first + Quadrant(cell, px, py);
                _count[moved] = _count[cell];
                _massX[moved] = _massX[cell];
                _massY[moved] = _massY[cell];
            }

            _count[cell]++;
            _massX[cell] += x;
            _massY[cell] += y;
            cell = first + Quadrant(cell, x, y);
            depth++;
        }
    }

    private int Quadrant(int cell, double x, double y) =>
        (x >= _centerX[cell] ? 1 : 0) + (y >= _centerY[cell] ? 2 : 0);

    private int Split(int cell)
    {
        var hx = _halfX[cell] / 2;
        var hy = _halfY[cell] / 2;
        var cx = _centerX[cell];
        var cy = _centerY[cell];
        var first = NewCell(cx - hx, cy - hy, hx, hy);
        NewCell(cx + hx, cy - hy, hx, hy);
        NewCell(cx - hx, cy + hy, hx, hy);
        NewCell(cx + hx, cy + hy, hx, hy);
        _firstChild[cell] = first;
        return first;
    }

    private int NewCell(double centerX, double centerY, double halfX, double halfY)
    {
        if (_cells == _count.Length)
        {
            Grow();
        }

        var c = _cells++;
        _centerX[c] = centerX;
        _centerY[c] = centerY;
        _halfX[c] = halfX;
        _halfY[c] = halfY;
        var width = 2 * Math.Max(halfX, halfY);
        _squaredWidth[c] = width * width;
        _massX[c] = 0;
        _massY[c] = 0;
        _count[c] = 0;
        _firstChild[c] = -1;
        return c;
    }

    private void Grow()
    {
        var size = _count.Length * 2;
        Array.Resize(ref _centerX, size);
        Array.Resize(ref _centerY, size);
        Array.Resize(ref _halfX, size);
        Array.Resize(ref _halfY, size);
        Array.Resize(ref _massX, size);
        Array.Resize(ref _massY, size);
        Array.Resize(ref _squaredWidth, size);
        Array.Resize(ref _count, size);
        Array.Resize(ref _firstChild, size);
    }
}
