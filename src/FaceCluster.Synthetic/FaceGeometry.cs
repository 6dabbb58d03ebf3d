namespace FaceCluster.Synthetic;

/// <summary>A point, in face units (<see cref="FaceGeometry.LocalLandmarks"/>) or pixels (<see cref="FaceGeometry.Landmarks"/>).</summary>
/// <param name="X">Horizontal coordinate, to the right.</param>
/// <param name="Y">Vertical coordinate, downwards.</param>
public readonly record struct FacePoint(double X, double Y)
{
    /// <summary>The distance to <paramref name="other"/>.</summary>
    public double DistanceTo(FacePoint other) => Math.Sqrt((X - other.X) * (X - other.X) + (Y - other.Y) * (Y - other.Y));
}

/// <summary>The landmarks the renderer places. Left and right are as seen in the image.</summary>
public enum FaceLandmark
{
    /// <summary>Centre of the eye on the image's left.</summary>
    LeftEyeCentre,

    /// <summary>Centre of the eye on the image's right.</summary>
    RightEyeCentre,

    /// <summary>Pupil of the left eye.</summary>
    LeftPupil,

    /// <summary>Pupil of the right eye.</summary>
    RightPupil,

    /// <summary>Highest point of the left upper lid.</summary>
    LeftEyeTop,

    /// <summary>Lowest point of the left lower lid.</summary>
    LeftEyeBottom,

    /// <summary>Highest point of the right upper lid.</summary>
    RightEyeTop,

    /// <summary>Lowest point of the right lower lid.</summary>
    RightEyeBottom,

    /// <summary>Inner end of the left brow.</summary>
    LeftBrowInner,

    /// <summary>Highest point (arch) of the left brow.</summary>
    LeftBrowPeak,

    /// <summary>Outer end of the left brow.</summary>
    LeftBrowOuter,

    /// <summary>Inner end of the right brow.</summary>
    RightBrowInner,

    /// <summary>Highest point (arch) of the right brow.</summary>
    RightBrowPeak,

    /// <summary>Outer end of the right brow.</summary>
    RightBrowOuter,

    /// <summary>Tip of the nose.</summary>
    NoseTip,

    /// <summary>Left nostril.</summary>
    LeftNostril,

    /// <summary>Right nostril.</summary>
    RightNostril,

    /// <summary>Left corner of the mouth.</summary>
    MouthLeft,

    /// <summary>Right corner of the mouth.</summary>
    MouthRight,

    /// <summary>Top of the upper lip at the centre.</summary>
    UpperLipTop,

    /// <summary>Bottom (inner edge) of the upper lip at the centre.</summary>
    UpperLipBottom,

    /// <summary>Top (inner edge) of the lower lip at the centre.</summary>
    LowerLipTop,

    /// <summary>Bottom of the lower lip at the centre.</summary>
    LowerLipBottom,

    /// <summary>The lowest point of the chin.</summary>
    Chin,
}

/// <summary>
/// Where <see cref="FaceRenderer"/> puts the parts of a face: landmarks in face units before pose and placement
/// (<see cref="LocalLandmarks"/>: x right, y down, the unit half the face width, origin the centre of the face) and in
/// image pixels (<see cref="Landmarks"/>), and the face box. Expression changes move the local landmarks; identity
/// changes the neutral face; placement (scale, position, roll) only maps local to image coordinates.
/// </summary>
public sealed class FaceGeometry
{
    private readonly FacePoint[] _local;
    private readonly FacePoint[] _image;

    internal FaceGeometry(FacePoint[] local, FacePoint[] image, FacePoint[] outline, int width, int height)
    {
        _local = local;
        _image = image;
        var x1 = outline.Min(p => p.X);
        var y1 = outline.Min(p => p.Y);
        var x2 = outline.Max(p => p.X);
        var y2 = outline.Max(p => p.Y);
        FaceX1 = Math.Clamp(x1, 0, width);
        FaceY1 = Math.Clamp(y1, 0, height);
        FaceX2 = Math.Clamp(x2, 0, width);
        FaceY2 = Math.Clamp(y2, 0, height);
        Outline = outline;
    }

    /// <summary>The number of landmarks.</summary>
    public static int LandmarkCount { get; } = Enum.GetValues<FaceLandmark>().Length;

    /// <summary>Landmarks in face units, in <see cref="FaceLandmark"/> order.</summary>
    public IReadOnlyList<FacePoint> LocalLandmarks => _local;

    /// <summary>Landmarks in image pixels, in <see cref="FaceLandmark"/> order.</summary>
    public IReadOnlyList<FacePoint> Landmarks => _image;

    /// <summary>The outline of the face (forehead, cheeks, jaw, chin) in image pixels.</summary>
    public IReadOnlyList<FacePoint> Outline { get; }

    /// <summary>Left edge of the face box in pixels (the outline's bounds, clamped to the image).</summary>
    public double FaceX1 { get; }

    /// <summary>Top edge of the face box in pixels.</summary>
    public double FaceY1 { get; }

    /// <summary>Right edge of the face box in pixels.</summary>
    public double FaceX2 { get; }

    /// <summary>Bottom edge of the face box in pixels.</summary>
    public double FaceY2 { get; }

    /// <summary>A landmark in face units.</summary>
    public FacePoint Local(FaceLandmark landmark) => _local[(int)landmark];

    /// <summary>A landmark in image pixels.</summary>
    public FacePoint Image(FaceLandmark landmark) => _image[(int)landmark];
}

/// <summary>The numbers of one face in face units, shared by the geometry and the renderer.</summary>
internal sealed class FaceLayout
{
    public FaceLayout(FaceScene scene)
    {
        Scene = scene;
        var id = scene.Identity;
        var e = scene.Expression;
        var l = id.FaceLength;
        Turn = e[FacialMovement.HeadTurn];
        RollDegrees = scene.Roll + 15 * e[FacialMovement.HeadTilt];
        (_sin, _cos) = Math.SinCos(RollDegrees * Math.PI / 180);

        var jaw = e[FacialMovement.JawDrop];
        EyeY = (-0.17 + id.EyeLevel) * l;
        TopY = -1.3 * l;
        ChinRestY = 1.2 * l;
        JawDrop = 0.3 * jaw;
        ChinY = ChinRestY + JawDrop;

        // Brows.
        var inner = e[FacialMovement.BrowInnerRaise];
        var outer = e[FacialMovement.BrowOuterRaise];
        var lower = e[FacialMovement.BrowLower];
        var wrinkle = e[FacialMovement.NoseWrinkle];
        var browY = EyeY - 0.22 * l;
        BrowInnerX = 0.13 + 0.02 * id.EyeSpacing - 0.045 * lower;
        BrowInnerY = browY + 0.01 - 0.17 * inner + 0.11 * lower + 0.035 * wrinkle;
        BrowPeakX = id.EyeSpacing + 0.3 * id.EyeWidth;
        BrowPeakY = browY - 0.05 - 0.13 * outer - 0.07 * inner + 0.09 * lower;
        BrowOuterX = id.EyeSpacing + id.EyeWidth + 0.1;
        BrowOuterY = browY + 0.04 - 0.12 * outer + 0.05 * lower;
        BrowThickness = 0.07 * id.BrowThickness;

        // Eyes.
        var lidRaise = e[FacialMovement.UpperLidRaise];
        var tighten = e[FacialMovement.LidTighten];
        var cheek = e[FacialMovement.CheekRaise];
        EyeX = id.EyeSpacing;
        EyeHalfWidth = id.EyeWidth;
        var open = 1 + 0.75 * lidRaise - 0.55 * tighten - 0.25 * cheek - 0.2 * lower;
        EyeUpper = id.EyeHeight * 1.2 * Math.Max(0.06, open);
        EyeLower = id.EyeHeight * Math.Max(0.08, 0.85 - 0.4 * cheek - 0.35 * tighten + 0.2 * lidRaise);
        IrisRadius = id.EyeWidth * 0.48;
        GazeX = e[FacialMovement.GazeX] * 0.42 * id.EyeWidth;
        GazeY = e[FacialMovement.GazeY] * 0.5 * id.EyeHeight;

        // Nose.
        NoseTipY = EyeY + 0.48 * id.NoseLength * l - 0.025 * wrinkle;
        NoseHalfWidth = id.NoseWidth * (1 + 0.12 * wrinkle + 0.06 * e[FacialMovement.LipStretch]);
        Wrinkle = wrinkle;
        Cheek = cheek;

        // Mouth.
        var pull = e[FacialMovement.LipCornerPull];
        var depress = e[FacialMovement.LipCornerDepress];
        var stretch = e[FacialMovement.LipStretch];
        var press = e[FacialMovement.LipPress];
        var pucker = e[FacialMovement.LipPucker];
        var upperRaise = e[FacialMovement.UpperLipRaise];
        MouthY = Math.Max(NoseTipY + 0.24, EyeY + 0.83 * l);
        MouthHalfWidth = id.MouthWidth * (1 + 0.3 * stretch + 0.2 * pull - 0.38 * pucker - 0.1 * press + 0.05 * jaw);
        CornerY = MouthY - 0.16 * pull + 0.13 * depress + 0.015 * stretch + 0.35 * JawDrop;
        UpperThickness = 0.055 * id.LipFullness * (1 - 0.6 * press + 0.4 * pucker - 0.2 * pull);
        LowerThickness = 0.075 * id.LipFullness * (1 - 0.55 * press + 0.35 * pucker - 0.15 * pull);
        UpperInnerY = MouthY - 0.06 * upperRaise - 0.02 * wrinkle;
        Gap = JawDrop + 0.06 * upperRaise + 0.015 * stretch + 0.03 * pucker * jaw;
        LowerInnerY = MouthY + JawDrop + 0.02 * stretch;
        Smile = pull;
        Pucker = pucker;
        UpperRaise = upperRaise;
    }

    public FaceScene Scene { get; }

    public double Turn { get; }

    public double RollDegrees { get; }

    public double EyeY { get; }

    public double TopY { get; }

    public double ChinRestY { get; }

    public double ChinY { get; }

    public double JawDrop { get; }

    public double BrowInnerX { get; }

    public double BrowInnerY { get; }

    public double BrowPeakX { get; }

    public double BrowPeakY { get; }

    public double BrowOuterX { get; }

    public double BrowOuterY { get; }

    public double BrowThickness { get; }

    public double EyeX { get; }

    public double EyeHalfWidth { get; }

    public double EyeUpper { get; }

    public double EyeLower { get; }

    public double IrisRadius { get; }

    public double GazeX { get; }

    public double GazeY { get; }

    public double NoseTipY { get; }

    public double NoseHalfWidth { get; }

    public double Wrinkle { get; }

    public double Cheek { get; }

    public double MouthY { get; }

    public double MouthHalfWidth { get; }

    public double CornerY { get; }

    public double UpperThickness { get; }

    public double LowerThickness { get; }

    public double UpperInnerY { get; }

    public double LowerInnerY { get; }

    public double Gap { get; }

    public double Smile { get; }

    public double Pucker { get; }

    public double UpperRaise { get; }

    private readonly double _cos;
    private readonly double _sin;

    /// <summary>
    /// Moves a frontal point for the head turn: points nearer the camera (<paramref name="depth"/> 1 for the nose tip,
    /// about 0.6 for eyes and mouth, 0 for the outline) shift further, and the face narrows slightly.
    /// </summary>
    public FacePoint Yaw(double x, double y, double depth) =>
        new(x * (1 - 0.1 * Math.Abs(Turn)) + Turn * (0.06 + 0.22 * depth), y);

    /// <summary>Maps a point in (turned) face units to image pixels.</summary>
    public FacePoint ToImage(FacePoint p)
    {
        var s = Scene.Scale;
        return new FacePoint(
            Scene.CentreX + s * (_cos * p.X - _sin * p.Y),
            Scene.CentreY + s * (_sin * p.X + _cos * p.Y));
    }

    /// <summary>The outline's key points (closed, clockwise from the top of the forehead), turned.</summary>
    public FacePoint[] OutlineKeys()
    {
        var id = Scene.Identity;
        var l = id.FaceLength;
        var jaw = id.JawWidth;
        var stretch = ChinY - EyeY;
        var rest = ChinRestY - EyeY;
        double Below(double y) => y <= EyeY ? y : EyeY + (y - EyeY) * stretch / rest;
        (double X, double Y)[] right =
        [
            (0.6, TopY + 0.1 * l),
            (0.9, EyeY - 0.55 * l),
            (1.0, EyeY + 0.05),
            (0.96 - 0.1 * (1 - jaw), Below(EyeY + 0.5 * l)),
            (jaw * 0.95, Below(MouthY + 0.1)),
            (0.3 + 0.2 * jaw, Below(ChinRestY - 0.1 * l)),
        ];
        var points = new List<FacePoint> { Yaw(0, TopY, 0.2) };
        points.AddRange(right.Select(p => Yaw(p.X, p.Y, 0.1)));
        points.Add(Yaw(0, ChinY, 0.35));
        points.AddRange(right.Reverse().Select(p => Yaw(-p.X, p.Y, 0.1)));
        return [.. points];
    }

    /// <summary>Catmull-Rom control points of a closed curve through <paramref name="keys"/>: (c1, c2, end) per segment.</summary>
    public static (FacePoint C1, FacePoint C2, FacePoint End)[] SmoothClosed(FacePoint[] keys)
    {
        var n = keys.Length;
        var segments = new (FacePoint, FacePoint, FacePoint)[n];
        for (var i = 0; i < n; i++)
        {
            var p0 = keys[(i - 1 + n) % n];
            var p1 = keys[i];
            var p2 = keys[(i + 1) % n];
            var p3 = keys[(i + 2) % n];
            segments[i] = (
                new FacePoint(p1.X + (p2.X - p0.X) / 6, p1.Y + (p2.Y - p0.Y) / 6),
                new FacePoint(p2.X - (p3.X - p1.X) / 6, p2.Y - (p3.Y - p1.Y) / 6),
                p2);
        }

        return segments;
    }

    /// <summary>The geometry: landmarks in face units and pixels, the outline and the face box.</summary>
    public FaceGeometry Geometry()
    {
        var local = new FacePoint[FaceGeometry.LandmarkCount];
        void Set(FaceLandmark landmark, double x, double y, double depth) => local[(int)landmark] = Yaw(x, y, depth);

        Set(FaceLandmark.LeftEyeCentre, -EyeX, EyeY, 0.6);
        Set(FaceLandmark.RightEyeCentre, EyeX, EyeY, 0.6);
        Set(FaceLandmark.LeftPupil, -EyeX + GazeX, EyeY + GazeY, 0.65);
        Set(FaceLandmark.RightPupil, EyeX + GazeX, EyeY + GazeY, 0.65);
        Set(FaceLandmark.LeftEyeTop, -EyeX, EyeY - EyeUpper, 0.6);
        Set(FaceLandmark.LeftEyeBottom, -EyeX, EyeY + EyeLower, 0.6);
        Set(FaceLandmark.RightEyeTop, EyeX, EyeY - EyeUpper, 0.6);
        Set(FaceLandmark.RightEyeBottom, EyeX, EyeY + EyeLower, 0.6);
        Set(FaceLandmark.LeftBrowInner, -BrowInnerX, BrowInnerY, 0.6);
        Set(FaceLandmark.LeftBrowPeak, -BrowPeakX, BrowPeakY, 0.55);
        Set(FaceLandmark.LeftBrowOuter, -BrowOuterX, BrowOuterY, 0.45);
        Set(FaceLandmark.RightBrowInner, BrowInnerX, BrowInnerY, 0.6);
        Set(FaceLandmark.RightBrowPeak, BrowPeakX, BrowPeakY, 0.55);
        Set(FaceLandmark.RightBrowOuter, BrowOuterX, BrowOuterY, 0.45);
        Set(FaceLandmark.NoseTip, 0, NoseTipY, 1);
        Set(FaceLandmark.LeftNostril, -0.45 * NoseHalfWidth, NoseTipY + 0.05, 0.85);
        Set(FaceLandmark.RightNostril, 0.45 * NoseHalfWidth, NoseTipY + 0.05, 0.85);
        Set(FaceLandmark.MouthLeft, -MouthHalfWidth, CornerY, 0.55);
        Set(FaceLandmark.MouthRight, MouthHalfWidth, CornerY, 0.55);
        Set(FaceLandmark.UpperLipTop, 0, UpperInnerY - UpperThickness - 0.02, 0.7);
        Set(FaceLandmark.UpperLipBottom, 0, UpperInnerY, 0.7);
        Set(FaceLandmark.LowerLipTop, 0, LowerInnerY, 0.7);
        Set(FaceLandmark.LowerLipBottom, 0, LowerInnerY + LowerThickness + 0.02, 0.7);
        Set(FaceLandmark.Chin, 0, ChinY, 0.35);

        var image = local.Select(ToImage).ToArray();
        var outline = new List<FacePoint>();
        var keys = OutlineKeys();
        var start = keys[0];
        foreach (var (c1, c2, end) in SmoothClosed(keys))
        {
            for (var t = 0.0; t < 1; t += 0.125)
            {
                var u = 1 - t;
                outline.Add(ToImage(new FacePoint(
                    u * u * u * start.X + 3 * u * u * t * c1.X + 3 * u * t * t * c2.X + t * t * t * end.X,
                    u * u * u * start.Y + 3 * u * u * t * c1.Y + 3 * u * t * t * c2.Y + t * t * t * end.Y)));
            }

            start = end;
        }

        return new FaceGeometry(local, image, [.. outline], Scene.Width, Scene.Height);
    }
}
