using System.Drawing;

namespace FaceCluster.Morphs;

/// <summary>
/// One triangle of a triangulation: three indices into the points it was made of, in the order that gives a positive
/// signed area <c>(xB - xA)(yC - yA) - (yB - yA)(xC - xA)</c> (clockwise on screen, where y points down).
/// </summary>
/// <param name="A">First vertex.</param>
/// <param name="B">Second vertex.</param>
/// <param name="C">Third vertex.</param>
public readonly record struct Triangle(int A, int B, int C);

/// <summary>
/// Delaunay triangulation by Bowyer-Watson: points are inserted one at a time into a triangulation that starts as one
/// large super-triangle; every triangle whose circumcircle holds the new point is removed and the hole is re-fanned from
/// it; at the end the triangles that touch a super-triangle vertex are dropped. O(n^2), which is nothing for the 76 points
/// of a face shape. No maintained .NET library is served to this build, hence this one.
/// </summary>
public static class Delaunay
{
    /// <summary>How many times the points' extent the super-triangle reaches: large enough that no hull edge is lost unless three hull-side points are collinear to within about 1e-4 of the extent.</summary>
    private const double SuperScale = 4096;

    /// <summary>Relative tolerance of the duplicate and collinearity checks (of the extent, and of the extent squared).</summary>
    private const double Tolerance = 1e-9;

    /// <summary>
    /// The Delaunay triangles of <paramref name="points"/>, each counter-clockwise (positive signed area in the
    /// points' coordinates). The result depends only on the points and their order. Points exactly on a common circle
    /// (a grid, say) get one of the valid triangulations.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// Fewer than three points, a coordinate that is not finite, two points that coincide (within 1e-9 of the extent,
    /// both indices named), or every point on one line.
    /// </exception>
    public static IReadOnlyList<Triangle> Triangulate(IReadOnlyList<PointF> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var n = points.Count;
        if (n < 3)
        {
            throw new ArgumentException($"a triangulation needs at least 3 points, not {n}", nameof(points));
        }

        // Doubles throughout: the super-triangle's vertices are thousands of extents away.
        var x = new double[n + 3];
        var y = new double[n + 3];
        for (var i = 0; i < n; i++)
        {
            (x[i], y[i]) = (points[i].X, points[i].Y);
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i]))
            {
                throw new ArgumentException($"point {i} is not finite: ({x[i]}, {y[i]})", nameof(points));
            }
        }

        var (minX, maxX, minY, maxY) = (x[..n].Min(), x[..n].Max(), y[..n].Min(), y[..n].Max());
        var extent = Math.Max(maxX - minX, maxY - minY);
        if (Degeneracy(x, y, n, extent) is { } problem)
        {
            throw new ArgumentException(problem, nameof(points));
        }

        var (cx, cy) = ((minX + maxX) / 2, (minY + maxY) / 2);
        var reach = SuperScale * extent;
        // A counter-clockwise triangle around a circle of radius `reach` about the centre.
        (x[n], y[n]) = (cx - (2 * reach), cy - reach);
        (x[n + 1], y[n + 1]) = (cx + (2 * reach), cy - reach);
        (x[n + 2], y[n + 2]) = (cx, cy + (2 * reach));

        var triangles = new List<Cell> { Cell.Make(n, n + 1, n + 2, x, y) };
        var boundary = new List<(int, int)>();
        for (var p = 0; p < n; p++)
        {
            boundary.Clear();
            // The cavity: every triangle whose circumcircle holds p. Its boundary edges are those not shared by two
            // cavity triangles; an edge shared by two appears once in each direction.
            var kept = new List<Cell>(triangles.Count + 2);
            foreach (var t in triangles)
            {
                if (t.CircleHolds(x[p], y[p]))
                {
                    AddEdge(boundary, t.A, t.B);
                    AddEdge(boundary, t.B, t.C);
                    AddEdge(boundary, t.C, t.A);
                }
                else
                {
                    kept.Add(t);
                }
            }

            foreach (var (a, b) in boundary)
            {
                // Boundary edges keep the cavity triangles' counter-clockwise direction, so (a, b, p) is counter-clockwise.
                kept.Add(Cell.Make(a, b, p, x, y));
            }

            triangles = kept;
        }

        return triangles
            .Where(t => t.A < n && t.B < n && t.C < n)
            .Select(t => new Triangle(t.A, t.B, t.C))
            .ToArray();
    }

    /// <summary>Adds the directed edge (a, b) unless its reverse is there, in which case both go (an interior edge of the cavity).</summary>
    private static void AddEdge(List<(int, int)> edges, int a, int b)
    {
        var reverse = edges.IndexOf((b, a));
        if (reverse >= 0)
        {
            edges.RemoveAt(reverse);
        }
        else
        {
            edges.Add((a, b));
        }
    }

    /// <summary>Why the points have no triangulation (a coinciding pair, or all on one line), or null.</summary>
    private static string? Degeneracy(double[] x, double[] y, int n, double extent)
    {
        var close = Tolerance * Math.Max(extent, double.Epsilon);
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                if (Math.Abs(x[i] - x[j]) <= close && Math.Abs(y[i] - y[j]) <= close)
                {
                    return $"points {i} and {j} coincide at ({x[i]}, {y[i]}); a triangulation needs distinct points";
                }
            }
        }

        // Not all on one line: some point lies off the line through point 0 and the point farthest from it.
        var far = 0;
        var farthest = 0.0;
        for (var i = 1; i < n; i++)
        {
            var d = ((x[i] - x[0]) * (x[i] - x[0])) + ((y[i] - y[0]) * (y[i] - y[0]));
            if (d > farthest)
            {
                (far, farthest) = (i, d);
            }
        }

        var off = 0.0;
        for (var i = 1; i < n; i++)
        {
            off = Math.Max(off, Math.Abs(((x[far] - x[0]) * (y[i] - y[0])) - ((y[far] - y[0]) * (x[i] - x[0]))));
        }

        return off <= Tolerance * extent * extent ? $"all {n} points lie on one line; they have no triangulation" : null;
    }

    /// <summary>A triangle with its circumcircle, computed once.</summary>
    private readonly record struct Cell(int A, int B, int C, double Cx, double Cy, double R2)
    {
        public static Cell Make(int a, int b, int c, double[] x, double[] y)
        {
            // Circumcentre relative to A, for precision.
            var (bx, by) = (x[b] - x[a], y[b] - y[a]);
            var (cx, cy) = (x[c] - x[a], y[c] - y[a]);
            var d = 2 * ((bx * cy) - (by * cx));
            var (b2, c2) = ((bx * bx) + (by * by), (cx * cx) + (cy * cy));
            var ux = ((cy * b2) - (by * c2)) / d;
            var uy = ((bx * c2) - (cx * b2)) / d;
            return new Cell(a, b, c, x[a] + ux, y[a] + uy, (ux * ux) + (uy * uy));
        }

        /// <summary>
        /// Strictly inside the circumcircle, by a relative margin: a point on the circle (within rounding) leaves the
        /// triangle standing, so cocircular points cannot carve a cavity that is not star-shaped from them.
        /// </summary>
        public bool CircleHolds(double px, double py)
        {
            var (dx, dy) = (px - Cx, py - Cy);
            return (dx * dx) + (dy * dy) < R2 * (1 - 1e-12);
        }
    }
}
