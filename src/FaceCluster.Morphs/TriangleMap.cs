using System.Drawing;

namespace FaceCluster.Morphs;

/// <summary>
/// Which triangle of a target shape every pixel of a <see cref="Width"/> x <see cref="Height"/> frame lies in, worked
/// out once per target shape so that every warp onto it is a table look-up per pixel. A pixel belongs to the triangle
/// that holds its centre <c>(x + 0.5, y + 0.5)</c>; a centre exactly on an edge shared by two triangles goes to one
/// of them only, by the top-left rule of rasterisers, so no pixel is counted twice. Pixels outside every triangle
/// have no triangle (-1).
/// </summary>
/// <remarks>
/// Coordinates are continuous pixel coordinates: pixel (x, y) covers <c>[x, x + 1) x [y, y + 1)</c>, so a frame's
/// corners are (0, 0) and (width, height).
/// </remarks>
public sealed class TriangleMap
{
    private readonly int[] _index;

    /// <summary>Rasterises <paramref name="triangles"/> of <paramref name="shape"/> into a <paramref name="width"/> x <paramref name="height"/> frame.</summary>
    /// <param name="shape">The target shape's points.</param>
    /// <param name="triangles">Triangles over <paramref name="shape"/> that do not overlap (a <see cref="Delaunay"/> triangulation); either orientation.</param>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="height">Frame height in pixels.</param>
    /// <exception cref="ArgumentException">A triangle names a point that is not in <paramref name="shape"/>, or has no area.</exception>
    public TriangleMap(IReadOnlyList<PointF> shape, IReadOnlyList<Triangle> triangles, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(triangles);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Shape = shape.ToArray();
        var oriented = new Triangle[triangles.Count];
        for (var t = 0; t < oriented.Length; t++)
        {
            var (a, b, c) = (triangles[t].A, triangles[t].B, triangles[t].C);
            if ((uint)a >= (uint)Shape.Count || (uint)b >= (uint)Shape.Count || (uint)c >= (uint)Shape.Count)
            {
                throw new ArgumentException($"triangle {t} ({a}, {b}, {c}) names a point outside the {Shape.Count} of the shape", nameof(triangles));
            }

            var area = SignedArea(Shape[a], Shape[b], Shape[c]);
            if (area == 0)
            {
                throw new ArgumentException($"triangle {t} ({a}, {b}, {c}) has no area", nameof(triangles));
            }

            // The top-left rule below assumes positive orientation.
            oriented[t] = area > 0 ? new Triangle(a, b, c) : new Triangle(a, c, b);
        }

        Triangles = oriented;
        _index = new int[checked(width * height)];
        Array.Fill(_index, -1);
        for (var t = 0; t < oriented.Length; t++)
        {
            var (pa, pb, pc) = (Shape[oriented[t].A], Shape[oriented[t].B], Shape[oriented[t].C]);
            // Pixel centres x + 0.5 inside the bounding box: x from ceil(min - 0.5) to floor(max - 0.5).
            var x0 = Math.Max(0, (int)Math.Ceiling(Math.Min(pa.X, Math.Min(pb.X, pc.X)) - 0.5));
            var x1 = Math.Min(width - 1, (int)Math.Floor(Math.Max(pa.X, Math.Max(pb.X, pc.X)) - 0.5));
            var y0 = Math.Max(0, (int)Math.Ceiling(Math.Min(pa.Y, Math.Min(pb.Y, pc.Y)) - 0.5));
            var y1 = Math.Min(height - 1, (int)Math.Floor(Math.Max(pa.Y, Math.Max(pb.Y, pc.Y)) - 0.5));
            for (var y = y0; y <= y1; y++)
            {
                for (var x = x0; x <= x1; x++)
                {
                    if (Covers(t, x + 0.5, y + 0.5))
                    {
                        _index[(y * width) + x] = t;
                    }
                }
            }
        }
    }

    /// <summary>Frame width in pixels.</summary>
    public int Width { get; }

    /// <summary>Frame height in pixels.</summary>
    public int Height { get; }

    /// <summary>The target shape.</summary>
    public IReadOnlyList<PointF> Shape { get; }

    /// <summary>The triangles, each turned to positive signed area (see <see cref="Triangle"/>); indices of <see cref="TriangleAt"/> refer to this list.</summary>
    public IReadOnlyList<Triangle> Triangles { get; }

    /// <summary>The per-pixel triangle indices, row by row (-1: outside every triangle).</summary>
    internal ReadOnlySpan<int> Index => _index;

    /// <summary>The triangle that pixel (<paramref name="x"/>, <paramref name="y"/>) lies in, or -1.</summary>
    public int TriangleAt(int x, int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        return _index[(y * Width) + x];
    }

    /// <summary>
    /// Whether triangle <paramref name="triangle"/> of <see cref="Triangles"/> holds the point (<paramref name="px"/>,
    /// <paramref name="py"/>): strictly inside, or on an edge the top-left rule gives it. Each edge's side test is
    /// computed from the edge's endpoints in index order, so the two triangles sharing an edge get exactly opposite
    /// values and a point on the edge goes to exactly one of them.
    /// </summary>
    public bool Covers(int triangle, double px, double py)
    {
        var t = Triangles[triangle];
        return Inside(t.A, t.B, px, py) && Inside(t.B, t.C, px, py) && Inside(t.C, t.A, px, py);
    }

    private bool Inside(int from, int to, double px, double py)
    {
        var (lo, hi) = from < to ? (Shape[from], Shape[to]) : (Shape[to], Shape[from]);
        var e = (((double)hi.X - lo.X) * (py - lo.Y)) - (((double)hi.Y - lo.Y) * (px - lo.X));
        if (from > to)
        {
            e = -e;
        }

        if (e != 0)
        {
            return e > 0;
        }

        // On the edge's line: the edge is the triangle's if it runs one way (a "top" or "left" edge), which the
        // neighbour across it, running the other way, is not.
        var (dx, dy) = ((double)Shape[to].X - Shape[from].X, (double)Shape[to].Y - Shape[from].Y);
        return dy > 0 || (dy == 0 && dx < 0);
    }

    internal static double SignedArea(PointF a, PointF b, PointF c) =>
        (((double)b.X - a.X) * ((double)c.Y - a.Y)) - (((double)b.Y - a.Y) * ((double)c.X - a.X));
}
