using System.Drawing;

namespace FaceCluster.Morphs.Tests;

/// <summary>Point sets and images for the tests.</summary>
internal static class Shapes
{
    /// <summary><paramref name="n"/> random points in [lo, hi)^2, at least <paramref name="spacing"/> apart.</summary>
    public static PointF[] Random(int seed, int n, float lo, float hi, float spacing = 0.5f)
    {
        var random = new Random(seed);
        var points = new List<PointF>();
        while (points.Count < n)
        {
            var p = new PointF(lo + ((float)random.NextDouble() * (hi - lo)), lo + ((float)random.NextDouble() * (hi - lo)));
            if (points.All(q => Distance(p, q) >= spacing))
            {
                points.Add(p);
            }
        }

        return [.. points];
    }

    /// <summary>68 face-like landmarks (jittered points in an ellipse) in a <paramref name="size"/> frame.</summary>
    public static PointF[] Landmarks(int seed, int size = 160)
    {
        var random = new Random(seed);
        var points = new List<PointF>();
        var (cx, cy, rx, ry) = (size / 2f, size * 0.55f, size * 0.36f, size * 0.42f);
        while (points.Count < Morph.LandmarkCount)
        {
            var (a, r) = (random.NextDouble() * 2 * Math.PI, Math.Sqrt(random.NextDouble()));
            var p = new PointF(cx + (float)(rx * r * Math.Cos(a)), cy + (float)(ry * r * Math.Sin(a)));
            if (points.All(q => Distance(p, q) >= size / 40f))
            {
                points.Add(p);
            }
        }

        return [.. points];
    }

    /// <summary>A random RGB image.</summary>
    public static byte[] Noise(int seed, int width, int height)
    {
        var bytes = new byte[width * height * 3];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A smooth pattern (slow sinusoids per channel) at continuous position (x, y).</summary>
    public static (double R, double G, double B) Pattern(double x, double y) => (
        128 + (100 * Math.Sin(x / 9.0) * Math.Cos(y / 13.0)),
        128 + (100 * Math.Cos((x + y) / 11.0)),
        128 + (100 * Math.Sin((x - (2 * y)) / 17.0)));

    /// <summary>The pattern drawn at pixel centres.</summary>
    public static byte[] PatternImage(int width, int height)
    {
        var bytes = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = Pattern(x + 0.5, y + 0.5);
                var i = 3 * ((y * width) + x);
                (bytes[i], bytes[i + 1], bytes[i + 2]) = ((byte)Math.Round(r), (byte)Math.Round(g), (byte)Math.Round(b));
            }
        }

        return bytes;
    }

    /// <summary>Indices of the convex hull (strict: collinear points dropped), counter-clockwise in the positive-area sense.</summary>
    public static int[] Hull(IReadOnlyList<PointF> points, bool keepCollinear = false)
    {
        var order = Enumerable.Range(0, points.Count).OrderBy(i => points[i].X).ThenBy(i => points[i].Y).ToArray();
        var hull = new List<int>();
        foreach (var pass in new[] { order, order.Reverse().ToArray() })
        {
            var start = hull.Count;
            foreach (var i in pass)
            {
                while (hull.Count >= start + 2)
                {
                    var cross = Cross(points[hull[^2]], points[hull[^1]], points[i]);
                    if (cross < 0 || (cross == 0 && !keepCollinear))
                    {
                        hull.RemoveAt(hull.Count - 1);
                    }
                    else
                    {
                        break;
                    }
                }

                hull.Add(i);
            }

            hull.RemoveAt(hull.Count - 1);
        }

        return [.. hull];
    }

    /// <summary>Signed distance-like margin of (x, y) inside the hull: the smallest edge function over the hull's edges, divided by the edge length.</summary>
    public static double InsideMargin(IReadOnlyList<PointF> points, int[] hull, double x, double y)
    {
        var margin = double.MaxValue;
        for (var k = 0; k < hull.Length; k++)
        {
            var (a, b) = (points[hull[k]], points[hull[(k + 1) % hull.Length]]);
            var length = Math.Sqrt(((b.X - a.X) * (b.X - a.X)) + ((b.Y - a.Y) * (b.Y - a.Y)));
            margin = Math.Min(margin, (((b.X - (double)a.X) * (y - a.Y)) - ((b.Y - (double)a.Y) * (x - a.X))) / length);
        }

        return margin;
    }

    public static double Cross(PointF a, PointF b, PointF c) =>
        (((double)b.X - a.X) * ((double)c.Y - a.Y)) - (((double)b.Y - a.Y) * ((double)c.X - a.X));

    private static double Distance(PointF a, PointF b) => Math.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));
}
