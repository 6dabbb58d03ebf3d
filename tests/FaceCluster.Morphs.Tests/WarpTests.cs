using System.Drawing;

namespace FaceCluster.Morphs.Tests;

public sealed class WarpTests
{
    private const int Size = 160;

    [Fact]
    public void Equal_shapes_give_back_the_image()
    {
        var shape = Morph.WithBorder(Shapes.Landmarks(21), Size, Size);
        var map = new TriangleMap(shape, Delaunay.Triangulate(shape), Size, Size);
        var image = Shapes.Noise(3, Size, Size);

        var warped = PiecewiseAffineWarp.Warp(map, image, Size, Size, shape);

        // The border points make the hull the whole frame.
        Assert.Equal(image, warped);
    }

    [Fact]
    public void A_similarity_applied_to_the_shape_is_recovered()
    {
        // Target = rotate 12 degrees, scale 0.8, shift: the source pattern seen through the inverse map.
        var (angle, scale, tx, ty) = (12 * Math.PI / 180, 0.8, 30.0, 10.0);
        var (cos, sin) = (Math.Cos(angle), Math.Sin(angle));
        PointF Forward(PointF p) => new((float)((scale * ((cos * p.X) - (sin * p.Y))) + tx), (float)((scale * ((sin * p.X) + (cos * p.Y))) + ty));
        (double X, double Y) Inverse(double x, double y)
        {
            var (u, v) = ((x - tx) / scale, (y - ty) / scale);
            return ((cos * u) + (sin * v), (-sin * u) + (cos * v));
        }

        var source = Morph.WithBorder(Shapes.Landmarks(22), Size, Size);
        var target = source.Select(Forward).ToArray();
        var map = new TriangleMap(target, Delaunay.Triangulate(target), Size, Size);
        var warped = PiecewiseAffineWarp.Warp(map, Shapes.PatternImage(Size, Size), Size, Size, source);

        var compared = 0;
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var (u, v) = Inverse(x + 0.5, y + 0.5);
                var i = 3 * ((y * Size) + x);
                if (u < 2 || v < 2 || u > Size - 2 || v > Size - 2)
                {
                    // Outside the source frame's image there is no triangle (the hull is the source frame's image).
                    if (u < -0.01 || v < -0.01 || u > Size + 0.01 || v > Size + 0.01)
                    {
                        Assert.Equal(-1, map.TriangleAt(x, y));
                        Assert.Equal([0, 0, 0], warped[i..(i + 3)]);
                    }

                    continue;
                }

                var (r, g, b) = Shapes.Pattern(u, v);
                Assert.InRange(Math.Abs(warped[i] - r), 0, 3);
                Assert.InRange(Math.Abs(warped[i + 1] - g), 0, 3);
                Assert.InRange(Math.Abs(warped[i + 2] - b), 0, 3);
                compared++;
            }
        }

        Assert.True(compared > Size * Size * 0.5, $"{compared} pixels compared");
    }

    public static TheoryData<string> CoverageShapes => new() { "random", "face", "grid" };

    [Theory]
    [MemberData(nameof(CoverageShapes))]
    public void Every_pixel_inside_the_hull_is_in_exactly_one_triangle(string kind)
    {
        PointF[] shape = kind switch
        {
            "random" => Shapes.Random(31, 40, 20, 140),
            "face" => Morph.WithBorder(Shapes.Landmarks(32), Size, Size),
            // Vertices and edges through pixel centres: the ties the top-left rule settles.
            _ => Enumerable.Range(0, 49).Select(i => new PointF(20.5f + (16 * (i % 7)), 30.5f + (16 * (i / 7)))).ToArray(),
        };
        var map = new TriangleMap(shape, Delaunay.Triangulate(shape), Size, Size);
        var hull = Shapes.Hull(shape);
        var (inside, ties) = (0, 0);
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var holders = Enumerable.Range(0, map.Triangles.Count).Where(t => map.Covers(t, x + 0.5, y + 0.5)).ToArray();
                var margin = Shapes.InsideMargin(shape, hull, x + 0.5, y + 0.5);
                if (margin > 1e-6)
                {
                    Assert.Single(holders);
                    Assert.Equal(holders[0], map.TriangleAt(x, y));
                    inside++;
                    ties += Enumerable.Range(0, map.Triangles.Count).Count(t => OnEdge(map, t, x + 0.5, y + 0.5)) > 1 ? 1 : 0;
                }
                else if (margin < -1e-6)
                {
                    Assert.Empty(holders);
                    Assert.Equal(-1, map.TriangleAt(x, y));
                }
                else
                {
                    Assert.True(holders.Length <= 1);
                    Assert.Equal(holders.Length == 0 ? -1 : holders[0], map.TriangleAt(x, y));
                }
            }
        }

        Assert.True(inside > 1000);
        if (kind == "grid")
        {
            Assert.True(ties > 100, $"{ties} pixel centres on shared edges");
        }
    }

    [Fact]
    public void A_source_shape_of_another_length_is_refused()
    {
        var shape = Morph.WithBorder(Shapes.Landmarks(41), Size, Size);
        var map = new TriangleMap(shape, Delaunay.Triangulate(shape), Size, Size);
        Assert.Throws<ArgumentException>(() => PiecewiseAffineWarp.Warp(map, Shapes.Noise(1, Size, Size), Size, Size, shape[..70]));
        Assert.Throws<ArgumentException>(() => PiecewiseAffineWarp.Warp(map, new byte[10], Size, Size, shape));
    }

    /// <summary>Whether (x, y) lies on the line of an edge of triangle t, within its bounding box.</summary>
    private static bool OnEdge(TriangleMap map, int t, double x, double y)
    {
        var tri = map.Triangles[t];
        int[] v = [tri.A, tri.B, tri.C];
        for (var k = 0; k < 3; k++)
        {
            var (a, b) = (map.Shape[v[k]], map.Shape[v[(k + 1) % 3]]);
            var cross = ((b.X - (double)a.X) * (y - a.Y)) - ((b.Y - (double)a.Y) * (x - a.X));
            if (cross == 0 && x >= Math.Min(a.X, b.X) && x <= Math.Max(a.X, b.X) && y >= Math.Min(a.Y, b.Y) && y <= Math.Max(a.Y, b.Y))
            {
                return true;
            }
        }

        return false;
    }
}
