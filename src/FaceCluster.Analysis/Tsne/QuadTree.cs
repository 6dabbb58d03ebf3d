using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

    // What the walk reads, packed in one 32-byte record per cell (one cache access per visit).
    private Node[] _nodes = new Node[64];

    // Geometry needed only while building.
    private Box[] _boxes = new Box[64];
    private int _cells;

    /// <summary>Deepest level of the last build (root = 0).</summary>
    public int Depth { get; private set; }

    /// <summary>Number of cells of the last build.</summary>
    public int Cells => _cells;

    /// <summary>Stack entries <see cref="Repulsion"/> needs for the current tree.</summary>
    public int StackSize => (3 * (Depth + 1)) + 2;

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
            ref var node = ref _nodes[c];
            if (node.Count > 0)
            {
                node.MassX /= node.Count;
                node.MassY /= node.Count;
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
        // The measured hot loop of t-SNE: cells are read without bounds checks (every index comes from the tree itself).
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        double fx = 0, fy = 0, z = 0;
        var top = 0;
        stack[top++] = 0;
        while (top > 0)
        {
            ref var node = ref Unsafe.Add(ref nodes, stack[--top]);
            var count = node.Count;
            if (count == 0)
            {
                continue;
            }

            var dx = x - node.MassX;
            var dy = y - node.MassY;
            var d2 = (dx * dx) + (dy * dy);
            var first = node.FirstChild;
            if (first < 0)
            {
                if (Math.Abs(dx) <= DuplicateTolerance && Math.Abs(dy) <= DuplicateTolerance)
                {
                    continue;
                }
            }
            else if (!(node.SquaredWidth < squaredTheta * d2))
            {
                // Children pushed last-first so that they are visited in order 0..3.
                stack[top] = first + 3;
                stack[top + 1] = first + 2;
                stack[top + 2] = first + 1;
                stack[top + 3] = first;
                top += 4;
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

    private void Insert(int cell, double x, double y)
    {
        var depth = 0;
        while (true)
        {
            ref var node = ref _nodes[cell];
            if (node.Count == 0)
            {
                node.Count = 1;
                node.MassX = x;
                node.MassY = y;
                Depth = Math.Max(Depth, depth);
                return;
            }

            var first = node.FirstChild;
            if (first < 0)
            {
                // A leaf: its mass sums are count copies of its single position.
                var px = node.MassX / node.Count;
                var py = node.MassY / node.Count;
                if (Math.Abs(px - x) <= DuplicateTolerance && Math.Abs(py - y) <= DuplicateTolerance)
                {
                    node.Count++;
                    node.MassX += px;
                    node.MassY += py;
                    return;
                }

                // Splitting may grow the arrays: the reference is taken again afterwards.
                first = Split(cell);
                node = ref _nodes[cell];
                ref var moved = ref _nodes[first + Quadrant(cell, px, py)];
                moved.Count = node.Count;
                moved.MassX = node.MassX;
                moved.MassY = node.MassY;
            }

            node.Count++;
            node.MassX += x;
            node.MassY += y;
            cell = first + Quadrant(cell, x, y);
            depth++;
        }
    }

    private int Quadrant(int cell, double x, double y) =>
        (x >= _boxes[cell].CenterX ? 1 : 0) + (y >= _boxes[cell].CenterY ? 2 : 0);

    private int Split(int cell)
    {
        var box = _boxes[cell];
        var hx = box.HalfX / 2;
        var hy = box.HalfY / 2;
        var first = NewCell(box.CenterX - hx, box.CenterY - hy, hx, hy);
        NewCell(box.CenterX + hx, box.CenterY - hy, hx, hy);
        NewCell(box.CenterX - hx, box.CenterY + hy, hx, hy);
        NewCell(box.CenterX + hx, box.CenterY + hy, hx, hy);
        _nodes[cell].FirstChild = first;
        return first;
    }

    private int NewCell(double centerX, double centerY, double halfX, double halfY)
    {
        if (_cells == _nodes.Length)
        {
            Array.Resize(ref _nodes, _nodes.Length * 2);
            Array.Resize(ref _boxes, _boxes.Length * 2);
        }

        var c = _cells++;
        _boxes[c] = new Box(centerX, centerY, halfX, halfY);
        var width = 2 * Math.Max(halfX, halfY);
        _nodes[c] = new Node { SquaredWidth = width * width, FirstChild = -1 };
        return c;
    }

    private struct Node
    {
        public double MassX;
        public double MassY;
        public double SquaredWidth;
        public int Count;
        public int FirstChild;
    }

    private readonly record struct Box(double CenterX, double CenterY, double HalfX, double HalfY);
}
