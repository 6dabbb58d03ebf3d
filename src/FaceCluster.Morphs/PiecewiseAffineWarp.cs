using System.Drawing;

namespace FaceCluster.Morphs;

/// <summary>
/// Piecewise-affine warps: every triangle of a target shape (<see cref="TriangleMap"/>) is filled from the matching
/// triangle of a source shape through the affine map between the two, sampling the source bilinearly (clamped at its
/// borders). Images are RGB bytes, row by row (HWC). Rows are independent, so running them in parallel changes nothing
/// in the result.
/// </summary>
public static class PiecewiseAffineWarp
{
    /// <summary>Values per triangle in <see cref="Coefficients"/>: <c>u = c0 + c1 x + c2 y</c>, <c>v = c3 + c4 x + c5 y</c>.</summary>
    internal const int Stride = 6;

    /// <summary>
    /// Warps <paramref name="source"/> (whose landmarks are <paramref name="sourceShape"/>) onto <paramref name="target"/>:
    /// a <c>target.Width x target.Height x 3</c> image, black outside the target's triangles.
    /// </summary>
    /// <param name="target">The target shape's triangle map.</param>
    /// <param name="source">The source image, <paramref name="width"/> x <paramref name="height"/> x 3 bytes.</param>
    /// <param name="width">Source width.</param>
    /// <param name="height">Source height.</param>
    /// <param name="sourceShape">The source's points, as many as the target shape's, in the same order.</param>
    /// <param name="maxDegreeOfParallelism">Most threads over rows (-1: no limit). The result does not depend on it.</param>
    /// <exception cref="ArgumentException">The image's byte count or the shape's point count does not fit.</exception>
    public static byte[] Warp(TriangleMap target, byte[] source, int width, int height, IReadOnlyList<PointF> sourceShape, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(target);
        CheckImage(source, width, height);
        var coefficients = Coefficients(target, sourceShape);
        var output = new byte[target.Width * target.Height * 3];
        Parallel.For(0, target.Height, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, y =>
        {
            var index = target.Index.Slice(y * target.Width, target.Width);
            var row = output.AsSpan(y * target.Width * 3, target.Width * 3);
            for (var x = 0; x < index.Length; x++)
            {
                var t = index[x];
                if (t >= 0)
                {
                    var (r, g, b) = Sample(source, width, height, coefficients.AsSpan(t * Stride, Stride), x + 0.5, y + 0.5);
                    row[3 * x] = ToByte(r);
                    row[(3 * x) + 1] = ToByte(g);
                    row[(3 * x) + 2] = ToByte(b);
                }
            }
        });

        return output;
    }

    /// <summary>
    /// Per target triangle, the affine map from target to source coordinates (<see cref="Stride"/> values each), solved
    /// from the triangle's three vertex pairs.
    /// </summary>
    /// <exception cref="ArgumentException">The source shape's point count differs from the target's.</exception>
    internal static double[] Coefficients(TriangleMap target, IReadOnlyList<PointF> sourceShape)
    {
        ArgumentNullException.ThrowIfNull(sourceShape);
        if (sourceShape.Count != target.Shape.Count)
        {
            throw new ArgumentException($"the source shape has {sourceShape.Count} points, the target {target.Shape.Count}", nameof(sourceShape));
        }

        var result = new double[target.Triangles.Count * Stride];
        for (var t = 0; t < target.Triangles.Count; t++)
        {
            var tri = target.Triangles[t];
            var (ta, tb, tc) = (target.Shape[tri.A], target.Shape[tri.B], target.Shape[tri.C]);
            var (sa, sb, sc) = (sourceShape[tri.A], sourceShape[tri.B], sourceShape[tri.C]);
            var (dx1, dy1, dx2, dy2) = ((double)tb.X - ta.X, (double)tb.Y - ta.Y, (double)tc.X - ta.X, (double)tc.Y - ta.Y);
            // Non-zero: TriangleMap refuses triangles without area.
            var det = (dx1 * dy2) - (dx2 * dy1);
            for (var k = 0; k < 2; k++)
            {
                var (s0, s1, s2) = k == 0 ? ((double)sa.X, (double)sb.X, (double)sc.X) : (sa.Y, sb.Y, sc.Y);
                var (d1, d2) = (s1 - s0, s2 - s0);
                var cx = ((dy2 * d1) - (dy1 * d2)) / det;
                var cy = ((dx1 * d2) - (dx2 * d1)) / det;
                var o = (t * Stride) + (3 * k);
                result[o] = s0 - (cx * ta.X) - (cy * ta.Y);
                result[o + 1] = cx;
                result[o + 2] = cy;
            }
        }

        return result;
    }

    /// <summary>The source colour at the image of target point (x, y): bilinear between the four nearest pixel centres, clamped to the image.</summary>
    internal static (double R, double G, double B) Sample(byte[] source, int width, int height, ReadOnlySpan<double> c, double x, double y)
    {
        // Pixel centres sit at +0.5; clamping the position (not the indices) makes the border pixels extend outwards.
        var fx = Math.Clamp(c[0] + (c[1] * x) + (c[2] * y) - 0.5, 0, width - 1);
        var fy = Math.Clamp(c[3] + (c[4] * x) + (c[5] * y) - 0.5, 0, height - 1);
        var (x0, y0) = ((int)fx, (int)fy);
        var (wx, wy) = (fx - x0, fy - y0);
        var (x1, y1) = (Math.Min(x0 + 1, width - 1), Math.Min(y0 + 1, height - 1));
        var (p00, p10) = (3 * ((y0 * width) + x0), 3 * ((y0 * width) + x1));
        var (p01, p11) = (3 * ((y1 * width) + x0), 3 * ((y1 * width) + x1));
        // Interpolation as differences (a + w (b - a)): a flat patch gives its value exactly, with no rounding drift.
        return (
            Lerp2(source[p00], source[p10], source[p01], source[p11], wx, wy),
            Lerp2(source[p00 + 1], source[p10 + 1], source[p01 + 1], source[p11 + 1], wx, wy),
            Lerp2(source[p00 + 2], source[p10 + 2], source[p01 + 2], source[p11 + 2], wx, wy));
    }

    private static double Lerp2(double v00, double v10, double v01, double v11, double wx, double wy)
    {
        var top = v00 + (wx * (v10 - v00));
        var bottom = v01 + (wx * (v11 - v01));
        return top + (wy * (bottom - top));
    }

    /// <summary>Rounds half away from zero into 0..255.</summary>
    internal static byte ToByte(double value) => (byte)Math.Clamp(Math.Round(value, MidpointRounding.AwayFromZero), 0, 255);

    internal static void CheckImage(byte[] pixels, int width, int height, string name = "source")
    {
        ArgumentNullException.ThrowIfNull(pixels, name);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (pixels.Length != (long)width * height * 3)
        {
            throw new ArgumentException($"a {width} x {height} RGB image has {(long)width * height * 3} bytes, not {pixels.Length}", name);
        }
    }
}
