using System.Globalization;
using FaceCluster.Analysis;
using FaceCluster.Synthetic;

namespace FaceCluster.Vision.Tests;

/// <summary>
/// The 68-point landmark net on faces of the synthetic renderer, against the geometry the renderer knows: MTCNN finds
/// each face, <see cref="FaceLandmarker"/> places the 68 points in its box, and the points that correspond to the
/// renderer's landmarks are compared with them, the error normalised by the inter-ocular distance (between the
/// renderer's two eye centres).
/// </summary>
/// <remarks>
/// Measured on these 40 neutral faces (placement, size, identity and the renderer's roll jitter of up to 6 degrees
/// varying; MTCNN found all 40): the mean normalised error of the five points the two agree on best (the eye centres,
/// as the means of 300-W points 37-42 and 43-48, the nose tip 31 and the mouth corners 49 and 55) is 0.049 (per point
/// 0.045, 0.055, 0.062, 0.029, 0.056; the largest single error 0.103); the lip centres 52 and 58 are 0.033 and 0.042, the
/// chin 9 is 0.058 and the outer brow ends 18 and 27 are 0.080 and 0.062. The inner brow ends 22 and 23 are off by
/// 0.168 and 0.133: the renderer's brows start nearer the midline than a real face's, so that is a difference of
/// drawing rather than an error of the net. Over all 12 points the mean is 0.069. The bounds below leave about half
/// again as much room as measured: 0.08 for the five points' mean, 0.10 for each one's mean, 0.25 for each
/// other point's.
/// </remarks>
public sealed class SyntheticLandmarkTests(MtcnnFixture fixture, ITestOutputHelper output) : IClassFixture<MtcnnFixture>
{
    private const int Faces = 40;

    /// <summary>The renderer's landmarks and the iBUG 300-W points (0-based indices, averaged) that correspond to them.</summary>
    private static readonly (string Name, FaceLandmark Truth, int[] Points)[] Correspondences =
    [
        ("left eye centre (37-42)", FaceLandmark.LeftEyeCentre, [36, 37, 38, 39, 40, 41]),
        ("right eye centre (43-48)", FaceLandmark.RightEyeCentre, [42, 43, 44, 45, 46, 47]),
        ("nose tip (31)", FaceLandmark.NoseTip, [30]),
        ("left mouth corner (49)", FaceLandmark.MouthLeft, [48]),
        ("right mouth corner (55)", FaceLandmark.MouthRight, [54]),
        ("upper lip top (52)", FaceLandmark.UpperLipTop, [51]),
        ("lower lip bottom (58)", FaceLandmark.LowerLipBottom, [57]),
        ("left brow inner end (22)", FaceLandmark.LeftBrowInner, [21]),
        ("right brow inner end (23)", FaceLandmark.RightBrowInner, [22]),
        ("left brow outer end (18)", FaceLandmark.LeftBrowOuter, [17]),
        ("right brow outer end (27)", FaceLandmark.RightBrowOuter, [26]),
        ("chin (9)", FaceLandmark.Chin, [8]),
    ];

    /// <summary>The five points the brief names: eye centres, nose tip, mouth corners.</summary>
    private const int Core = 5;

    [Fact]
    public void Landmarks_of_frontal_synthetic_faces_lie_near_the_renderers_geometry()
    {
        using var landmarker = FaceLandmarker.LoadEmbedded();
        var errors = Correspondences.Select(_ => new List<double>()).ToArray();
        var missed = 0;
        for (var i = 0; i < Faces; i++)
        {
            var random = new SeededRandom(20_261_206, RandomPurpose.SyntheticData, i);
            var identity = FaceIdentity.Random(ref random);
            var background = new SceneBackground(
                Rgb.FromHsv(360 * random.NextDouble(), 0.3, 0.7), Rgb.FromHsv(360 * random.NextDouble(), 0.3, 0.6), BackgroundPattern.Plain);
            // Frontal and neutral: placement, size and the renderer's pose jitter (roll up to 6 degrees) vary.
            var scene = FaceScene.Random(identity, FaceExpression.Neutral, background, Rgb.FromHsv(220, 0.4, 0.4), ref random);
            var geometry = FaceRenderer.Layout(scene);
            var image = RgbImage.Decode(FaceRenderer.RenderPng(scene));
            var faces = fixture.Detector.Detect(image);
            var truthBox = new FaceBox((float)geometry.FaceX1, (float)geometry.FaceY1, (float)geometry.FaceX2, (float)geometry.FaceY2);
            var face = faces.OrderByDescending(f => f.Box.IntersectionOverUnion(truthBox)).FirstOrDefault();
            if (face is null || face.Box.IntersectionOverUnion(truthBox) < 0.3)
            {
                missed++;
                continue;
            }

            var points = landmarker.Detect(image, face.Box).Points;
            var interocular = geometry.Image(FaceLandmark.LeftEyeCentre).DistanceTo(geometry.Image(FaceLandmark.RightEyeCentre));
            for (var c = 0; c < Correspondences.Length; c++)
            {
                var (_, truth, indices) = Correspondences[c];
                var found = new Synthetic.FacePoint(indices.Average(k => points[k].X), indices.Average(k => points[k].Y));
                errors[c].Add(found.DistanceTo(geometry.Image(truth)) / interocular);
            }
        }

        for (var c = 0; c < Correspondences.Length; c++)
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{Correspondences[c].Name,-28} mean {errors[c].Average():F3}  median {Median(errors[c]):F3}  max {errors[c].Max():F3}"));
        }

        var core = errors.Take(Core).SelectMany(e => e).Average();
        var all = errors.SelectMany(e => e).Average();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Faces - missed} of {Faces} faces; eyes, nose tip, mouth corners: mean {core:F3}; all {Correspondences.Length} points: mean {all:F3}"));

        Assert.True(missed <= Faces / 20, $"MTCNN missed {missed} of {Faces} faces");
        Assert.True(core < 0.08, string.Create(CultureInfo.InvariantCulture, $"normalised mean error of the eye centres, nose tip and mouth corners {core:F3}"));
        for (var c = 0; c < Correspondences.Length; c++)
        {
            var bound = c < Core ? 0.10 : 0.25;
            Assert.True(errors[c].Average() < bound, string.Create(CultureInfo.InvariantCulture, $"{Correspondences[c].Name}: normalised mean error {errors[c].Average():F3}, bound {bound}"));
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
