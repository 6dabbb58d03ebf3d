namespace FaceCluster.Vision;

/// <summary>A box in image pixel coordinates: left <see cref="X1"/>, top <see cref="Y1"/>, right <see cref="X2"/>, bottom <see cref="Y2"/>.</summary>
/// <remarks>MTCNN's boxes may reach beyond the image; <see cref="FaceCrop"/> clamps them.</remarks>
/// <param name="X1">Left edge.</param>
/// <param name="Y1">Top edge.</param>
/// <param name="X2">Right edge.</param>
/// <param name="Y2">Bottom edge.</param>
public readonly record struct FaceBox(float X1, float Y1, float X2, float Y2)
{
    /// <summary><c>X2 - X1</c>.</summary>
    public float Width => X2 - X1;

    /// <summary><c>Y2 - Y1</c>.</summary>
    public float Height => Y2 - Y1;

    /// <summary><c>Width * Height</c> (0 for an empty box).</summary>
    public float Area => Math.Max(0, Width) * Math.Max(0, Height);

    /// <summary>Intersection over union with <paramref name="other"/> (0 when either is empty).</summary>
    public float IntersectionOverUnion(FaceBox other)
    {
        var w = Math.Min(X2, other.X2) - Math.Max(X1, other.X1);
        var h = Math.Min(Y2, other.Y2) - Math.Max(Y1, other.Y1);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        var intersection = w * h;
        return intersection / (Area + other.Area - intersection);
    }
}

/// <summary>A point in image pixel coordinates.</summary>
/// <param name="X">Column.</param>
/// <param name="Y">Row.</param>
public readonly record struct FacePoint(float X, float Y);

/// <summary>One face found by <see cref="Mtcnn"/>.</summary>
/// <param name="Box">The face's box after ONet's regression (not squared; may reach beyond the image).</param>
/// <param name="Probability">ONet's face probability (softmax), above the third threshold.</param>
/// <param name="Landmarks">
/// Five points, in MTCNN's order: the eye on the image's left, the eye on the image's right, the nose, the mouth
/// corner on the image's left, the mouth corner on the image's right.
/// </param>
public sealed record FaceDetection(FaceBox Box, float Probability, IReadOnlyList<FacePoint> Landmarks)
{
    /// <summary>The number of landmarks.</summary>
    public const int LandmarkCount = 5;
}
