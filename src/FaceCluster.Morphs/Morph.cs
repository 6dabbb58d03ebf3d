using System.Drawing;

namespace FaceCluster.Morphs;

/// <summary>A composite face: the pixel mean of faces warped onto their mean shape.</summary>
/// <param name="Pixels">The composite, <paramref name="Size"/> x <paramref name="Size"/> x 3 bytes, HWC RGB.</param>
/// <param name="Size">Its side in pixels.</param>
/// <param name="MeanShape">The mean shape in the composite's frame: the 68 landmarks, then the 8 border points (see <see cref="Morph.BorderPoints"/>).</param>
/// <param name="Triangles">The Delaunay triangulation of <paramref name="MeanShape"/> the faces were warped through.</param>
/// <param name="FaceCount">How many faces were averaged.</param>
public sealed record MorphResult(byte[] Pixels, int Size, IReadOnlyList<PointF> MeanShape, IReadOnlyList<Triangle> Triangles, int FaceCount);

/// <summary>
/// Morphs of faces as in Brooks et al. 2024: each face's 68 landmarks (iBUG 300-W order) plus the eight points of its
/// image border, the mean of those shapes, a Delaunay triangulation of the mean, a piecewise-affine warp of every face
/// onto it, and the pixel mean of the warped faces.
/// </summary>
public static class Morph
{
    /// <summary>Landmarks per face (the iBUG 300-W layout).</summary>
    public const int LandmarkCount = 68;

    /// <summary>Points of a shape: the landmarks and the 8 border points.</summary>
    public const int ShapeCount = LandmarkCount + 8;

    /// <summary>
    /// The eight border points of a <paramref name="width"/> x <paramref name="height"/> frame, clockwise on screen from
    /// the top-left corner: (0, 0), (w/2, 0), (w, 0), (w, h/2), (w, h), (w/2, h), (0, h), (0, h/2).
    /// </summary>
    public static PointF[] BorderPoints(float width, float height) =>
    [
        new(0, 0), new(width / 2, 0), new(width, 0), new(width, height / 2),
        new(width, height), new(width / 2, height), new(0, height), new(0, height / 2),
    ];

    /// <summary>
    /// The morph of <paramref name="faces"/> in a <paramref name="size"/> x <paramref name="size"/> frame. Landmarks are in
    /// continuous pixel coordinates of their image (pixel (x, y) covers <c>[x, x + 1) x [y, y + 1)</c>). Shapes are
    /// scaled to the unit square (x / width, y / height) before they are averaged, so faces of different sizes mix, and
    /// the mean is scaled to <paramref name="size"/>. Each composite pixel is the mean over the faces of their bilinear
    /// samples, summed in doubles in face order and rounded half away from zero; pixels outside the mean shape's
    /// triangles (only when landmarks stray outside their images) are black. The bytes depend only on the faces and
    /// their order, not on <paramref name="maxDegreeOfParallelism"/>.
    /// </summary>
    /// <param name="faces">The faces: RGB bytes (HWC), width, height, and 68 landmarks.</param>
    /// <param name="size">Side of the composite in pixels.</param>
    /// <param name="maxDegreeOfParallelism">Most threads over rows (-1: no limit).</param>
    /// <exception cref="ArgumentException">
    /// No face, a face whose byte count is not width x height x 3, landmarks that are not 68 finite points, or a mean
    /// shape with two coinciding points (see <see cref="Delaunay.Triangulate"/>).
    /// </exception>
    public static MorphResult Compose(IReadOnlyList<(byte[] Pixels, int W, int H, PointF[] Landmarks68)> faces, int size, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(faces);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (faces.Count == 0)
        {
            throw new ArgumentException("a morph needs at least one face", nameof(faces));
        }

        var shapes = new PointF[faces.Count][];
        var sumX = new double[ShapeCount];
        var sumY = new double[ShapeCount];
        for (var f = 0; f < faces.Count; f++)
        {
            var (pixels, w, h, landmarks) = faces[f];
            PiecewiseAffineWarp.CheckImage(pixels, w, h, $"{nameof(faces)}[{f}]");
            shapes[f] = WithBorder(landmarks, w, h, f);
            for (var i = 0; i < ShapeCount; i++)
            {
                sumX[i] += shapes[f][i].X / (double)w;
                sumY[i] += shapes[f][i].Y / (double)h;
            }
        }

        var mean = new PointF[ShapeCount];
        for (var i = 0; i < ShapeCount; i++)
        {
            mean[i] = new PointF((float)(sumX[i] / faces.Count * size), (float)(sumY[i] / faces.Count * size));
        }

        // The border points' means are the frame's border points exactly (0, size / 2, size are exact in float).
        var triangles = Delaunay.Triangulate(mean);
        var map = new TriangleMap(mean, triangles, size, size);
        var coefficients = shapes.Select(s => PiecewiseAffineWarp.Coefficients(map, s)).ToArray();
        var output = new byte[size * size * 3];
        Parallel.For(0, size, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, y =>
        {
            // One row's sums, faces added in order: the same additions in the same order whatever thread runs the row.
            var sums = new double[size * 3];
            var index = map.Index.Slice(y * size, size);
            for (var f = 0; f < faces.Count; f++)
            {
                var (pixels, w, h, _) = faces[f];
                var c = coefficients[f];
                for (var x = 0; x < size; x++)
                {
                    var t = index[x];
                    if (t >= 0)
                    {
                        var (r, g, b) = PiecewiseAffineWarp.Sample(pixels, w, h, c.AsSpan(t * PiecewiseAffineWarp.Stride, PiecewiseAffineWarp.Stride), x + 0.5, y + 0.5);
                        sums[3 * x] += r;
                        sums[(3 * x) + 1] += g;
                        sums[(3 * x) + 2] += b;
                    }
                }
            }

            var row = output.AsSpan(y * size * 3, size * 3);
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = PiecewiseAffineWarp.ToByte(sums[i] / faces.Count);
            }
        });

        return new MorphResult(output, size, mean, map.Triangles, faces.Count);
    }

    /// <summary>The 68 landmarks followed by the border points of a <paramref name="width"/> x <paramref name="height"/> image.</summary>
    /// <exception cref="ArgumentException">Not 68 landmarks, or one that is not finite.</exception>
    public static PointF[] WithBorder(IReadOnlyList<PointF> landmarks, int width, int height) => WithBorder(landmarks, width, height, null);

    private static PointF[] WithBorder(IReadOnlyList<PointF> landmarks, int width, int height, int? face)
    {
        var what = face is { } f ? $"face {f}" : "the face";
        ArgumentNullException.ThrowIfNull(landmarks);
        if (landmarks.Count != LandmarkCount)
        {
            throw new ArgumentException($"{what} has {landmarks.Count} landmarks, not {LandmarkCount}", nameof(landmarks));
        }

        var shape = new PointF[ShapeCount];
        for (var i = 0; i < LandmarkCount; i++)
        {
            if (!float.IsFinite(landmarks[i].X) || !float.IsFinite(landmarks[i].Y))
            {
                throw new ArgumentException($"landmark {i} of {what} is not finite", nameof(landmarks));
            }

            shape[i] = landmarks[i];
        }

        BorderPoints(width, height).CopyTo(shape, LandmarkCount);
        return shape;
    }
}
