using System.Drawing;

namespace FaceCluster.Morphs.Tests;

public sealed class DelaunayTests
{
    public static TheoryData<int, int> RandomSets => new() { { 1, 3 }, { 2, 4 }, { 3, 10 }, { 4, 50 }, { 5, 200 }, { 6, 76 } };

    [Theory]
    [MemberData(nameof(RandomSets))]
    public void Random_points_have_empty_circumcircles_and_2n_minus_2_minus_h_triangles(int seed, int n)
    {
        var points = Shapes.Random(seed, n, 0, 160);
        var triangles = Delaunay.Triangulate(points);

        Assert.Equal((2 * n) - 2 - Shapes.Hull(points, keepCollinear: true).Length, triangles.Count);
        AssertEmptyCircles(points, triangles);
        AssertTiles(points, triangles);
    }

    [Fact]
    public void A_face_shape_with_its_collinear_border_points_tiles_the_frame()
    {
        var shape = Morph.WithBorder(Shapes.Landmarks(7), 160, 160);
        var triangles = Delaunay.Triangulate(shape);

        Assert.Equal((2 * shape.Length) - 2 - 8, triangles.Count);
        AssertEmptyCircles(shape, triangles);
        AssertTiles(shape, triangles);
        Assert.Equal(160.0 * 160, triangles.Sum(t => Shapes.Cross(shape[t.A], shape[t.B], shape[t.C]) / 2), 6);
    }

    [Fact]
    public void A_grid_of_cocircular_points_gets_a_valid_triangulation()
    {
        var points = Enumerable.Range(0, 36).Select(i => new PointF(10.5f + (8 * (i % 6)), 20.5f + (8 * (i / 6)))).ToArray();
        var triangles = Delaunay.Triangulate(points);

        Assert.Equal((2 * 36) - 2 - 20, triangles.Count);
        AssertEmptyCircles(points, triangles);
        AssertTiles(points, triangles);
    }

    [Fact]
    public void The_result_depends_only_on_the_points_and_their_order()
    {
        var points = Shapes.Random(11, 80, -3, 5);
        Assert.Equal(Delaunay.Triangulate(points), Delaunay.Triangulate(points.ToArray()));
    }

    [Fact]
    public void Triangles_have_positive_signed_area()
    {
        var points = Shapes.Random(12, 60, 0, 1, 0.01f);
        Assert.All(Delaunay.Triangulate(points), t => Assert.True(Shapes.Cross(points[t.A], points[t.B], points[t.C]) > 0));
    }

    [Fact]
    public void Coinciding_points_are_refused_by_index()
    {
        PointF[] points = [new(0, 0), new(5, 1), new(2, 7), new(5, 1)];
        var error = Assert.Throws<ArgumentException>(() => Delaunay.Triangulate(points));
        Assert.Contains("points 1 and 3 coincide", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Collinear_points_are_refused()
    {
        var points = Enumerable.Range(0, 5).Select(i => new PointF(i, (2 * i) + 1)).ToArray();
        var error = Assert.Throws<ArgumentException>(() => Delaunay.Triangulate(points));
        Assert.Contains("one line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_few_or_non_finite_points_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Delaunay.Triangulate([new(0, 0), new(1, 1)]));
        Assert.Throws<ArgumentException>(() => Delaunay.Triangulate([new(0, 0), new(1, 1), new(float.NaN, 2)]));
    }

    /// <summary>No point lies strictly inside a triangle's circumcircle (relative tolerance for rounding).</summary>
    private static void AssertEmptyCircles(PointF[] points, IReadOnlyList<Triangle> triangles)
    {
        foreach (var t in triangles)
        {
            var (a, b, c) = (points[t.A], points[t.B], points[t.C]);
            var (bx, by, cx, cy) = ((double)b.X - a.X, (double)b.Y - a.Y, (double)c.X - a.X, (double)c.Y - a.Y);
            var d = 2 * ((bx * cy) - (by * cx));
            var ux = ((cy * ((bx * bx) + (by * by))) - (by * ((cx * cx) + (cy * cy)))) / d;
            var uy = ((bx * ((cx * cx) + (cy * cy))) - (cx * ((bx * bx) + (by * by)))) / d;
            var r2 = (ux * ux) + (uy * uy);
            for (var i = 0; i < points.Length; i++)
            {
                if (i == t.A || i == t.B || i == t.C)
                {
                    continue;
                }

                var (dx, dy) = ((double)points[i].X - a.X - ux, (double)points[i].Y - a.Y - uy);
                Assert.False((dx * dx) + (dy * dy) < r2 * (1 - 1e-9), $"point {i} is inside the circumcircle of {t}");
            }
        }
    }

    /// <summary>The triangles' areas add up to the hull's, and no edge is used twice in one direction (no overlap, no fold).</summary>
    private static void AssertTiles(PointF[] points, IReadOnlyList<Triangle> triangles)
    {
        var hull = Shapes.Hull(points);
        var hullArea = 0.0;
        for (var k = 1; k + 1 < hull.Length; k++)
        {
            hullArea += Shapes.Cross(points[hull[0]], points[hull[k]], points[hull[k + 1]]) / 2;
        }

        Assert.Equal(hullArea, triangles.Sum(t => Shapes.Cross(points[t.A], points[t.B], points[t.C]) / 2), hullArea * 1e-9);
        var edges = triangles.SelectMany(t => new[] { (t.A, t.B), (t.B, t.C), (t.C, t.A) }).ToArray();
        Assert.Equal(edges.Length, edges.Distinct().Count());
    }
}
