namespace FaceCluster.Synthetic.Tests;

public sealed class GeometryTests
{
    private static readonly SyntheticStudy Study = SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 8, MimicsPerSeed = 12 });

    /// <summary>The expression-driven displacement of every landmark, in face units, from the identity's neutral face.</summary>
    private static double[] Displacement(FaceScene scene)
    {
        var expressive = FaceRenderer.Layout(scene).LocalLandmarks;
        var neutral = FaceRenderer.Layout(scene with { Expression = FaceExpression.Neutral }).LocalLandmarks;
        return [.. expressive.Zip(neutral).SelectMany(p => new[] { p.First.X - p.Second.X, p.First.Y - p.Second.Y })];
    }

    private static double[] Neutral(FaceScene scene) =>
        [.. FaceRenderer.Layout(scene with { Expression = FaceExpression.Neutral }).LocalLandmarks.SelectMany(p => new[] { p.X, p.Y })];

    private static double Distance(double[] a, double[] b) => Math.Sqrt(a.Zip(b).Sum(p => (p.First - p.Second) * (p.First - p.Second)));

    [Fact]
    public void Mimics_of_a_seed_share_the_expression_but_not_the_identity()
    {
        var mimics = Enumerable.Range(0, Study.SeedCount)
            .Select(s => Enumerable.Range(0, Study.MimicsPerSeed).Select(m => Study.GetMimic((long)s * Study.MimicsPerSeed + m)).ToArray())
            .ToArray();
        var displacements = mimics.Select(seed => seed.Select(m => Displacement(m.Scene)).ToArray()).ToArray();
        var seedDisplacements = Enumerable.Range(0, Study.SeedCount).Select(s => Displacement(Study.GetSeed(s).Scene)).ToArray();

        double within = 0, between = 0;
        int withinCount = 0, betweenCount = 0;
        for (var s = 0; s < mimics.Length; s++)
        {
            for (var i = 0; i < mimics[s].Length; i++)
            {
                // Each mimic moves like its seed more than like any other seed.
                var own = Distance(displacements[s][i], seedDisplacements[s]);
                for (var other = 0; other < mimics.Length; other++)
                {
                    if (other != s)
                    {
                        between += Distance(displacements[s][i], seedDisplacements[other]);
                        betweenCount++;
                    }
                }

                within += own;
                withinCount++;

                // The faces themselves differ: no two mimics of a seed are made by the same person.
                for (var j = i + 1; j < mimics[s].Length; j++)
                {
                    Assert.NotEqual(mimics[s][i].ParticipantId, mimics[s][j].ParticipantId);
                    Assert.True(Distance(Neutral(mimics[s][i].Scene), Neutral(mimics[s][j].Scene)) > 0.02, $"{mimics[s][i].Id} and {mimics[s][j].Id} have the same face");
                }
            }
        }

        within /= withinCount;
        between /= betweenCount;
        Assert.True(within < 0.5 * between, $"mean distance to own seed's movement {within:F3}, to other seeds' {between:F3}");
    }

    [Fact]
    public void A_participant_keeps_one_face_across_mimics_of_different_seeds()
    {
        var byParticipant = Enumerable.Range(0, (int)Study.MimicCount).Select(i => Study.GetMimic(i)).GroupBy(m => m.ParticipantId).First(g => g.Count() > 1).ToArray();

        Assert.Equal(byParticipant.Length, byParticipant.Select(m => m.SeedId).Distinct().Count());
        Assert.All(byParticipant, m => Assert.Equal(byParticipant[0].Scene.Identity, m.Scene.Identity));
    }

    [Fact]
    public void The_expression_moves_brows_lids_mouth_corners_and_jaw()
    {
        var scene = Study.GetSeed(0).Scene with { Expression = FaceExpression.Neutral };
        FaceGeometry With(FacialMovement movement, double value)
        {
            var values = new double[FaceExpression.Count];
            values[(int)movement] = value;
            return FaceRenderer.Layout(scene with { Expression = new FaceExpression(values) });
        }

        var neutral = FaceRenderer.Layout(scene);
        double Opening(FaceGeometry g) => g.Local(FaceLandmark.LeftEyeBottom).Y - g.Local(FaceLandmark.LeftEyeTop).Y;

        Assert.True(With(FacialMovement.BrowInnerRaise, 1).Local(FaceLandmark.LeftBrowInner).Y < neutral.Local(FaceLandmark.LeftBrowInner).Y - 0.1);
        Assert.True(With(FacialMovement.BrowOuterRaise, 1).Local(FaceLandmark.RightBrowOuter).Y < neutral.Local(FaceLandmark.RightBrowOuter).Y - 0.08);
        Assert.True(With(FacialMovement.BrowLower, 1).Local(FaceLandmark.RightBrowInner).Y > neutral.Local(FaceLandmark.RightBrowInner).Y + 0.08);
        Assert.True(Opening(With(FacialMovement.UpperLidRaise, 1)) > 1.3 * Opening(neutral));
        Assert.True(Opening(With(FacialMovement.LidTighten, 1)) < 0.7 * Opening(neutral));
        Assert.True(With(FacialMovement.LipCornerPull, 1).Local(FaceLandmark.MouthLeft).Y < neutral.Local(FaceLandmark.MouthLeft).Y - 0.1);
        Assert.True(With(FacialMovement.LipCornerDepress, 1).Local(FaceLandmark.MouthRight).Y > neutral.Local(FaceLandmark.MouthRight).Y + 0.08);
        Assert.True(With(FacialMovement.LipStretch, 1).Local(FaceLandmark.MouthRight).X > neutral.Local(FaceLandmark.MouthRight).X + 0.05);
        Assert.True(With(FacialMovement.LipPucker, 1).Local(FaceLandmark.MouthRight).X < neutral.Local(FaceLandmark.MouthRight).X - 0.05);
        var open = With(FacialMovement.JawDrop, 1);
        Assert.True(open.Local(FaceLandmark.Chin).Y > neutral.Local(FaceLandmark.Chin).Y + 0.2);
        Assert.True(open.Local(FaceLandmark.LowerLipTop).Y - open.Local(FaceLandmark.UpperLipBottom).Y > 0.2);
        Assert.True(With(FacialMovement.GazeX, 1).Local(FaceLandmark.LeftPupil).X > neutral.Local(FaceLandmark.LeftPupil).X + 0.05);
        Assert.True(With(FacialMovement.HeadTurn, 1).Local(FaceLandmark.NoseTip).X > neutral.Local(FaceLandmark.NoseTip).X + 0.2);

        // Head tilt rolls the face in the image, not in face units.
        var tilted = With(FacialMovement.HeadTilt, 1);
        Assert.Equal(neutral.Local(FaceLandmark.LeftEyeCentre), tilted.Local(FaceLandmark.LeftEyeCentre));
        Assert.NotEqual(neutral.Image(FaceLandmark.LeftEyeCentre).Y, tilted.Image(FaceLandmark.LeftEyeCentre).Y);
    }

    [Fact]
    public void Face_boxes_lie_inside_the_image_and_hold_the_features()
    {
        for (var i = 0; i < Study.MimicCount; i++)
        {
            var scene = Study.GetMimic(i).Scene;
            var geometry = FaceRenderer.Layout(scene);
            Assert.InRange(geometry.FaceX1, 0, scene.Width);
            Assert.InRange(geometry.FaceX2, 0, scene.Width);
            Assert.InRange(geometry.FaceY1, 0, scene.Height);
            Assert.InRange(geometry.FaceY2, 0, scene.Height);
            Assert.True(geometry.FaceX2 - geometry.FaceX1 > 30 && geometry.FaceY2 - geometry.FaceY1 > 30);
            foreach (var landmark in new[] { FaceLandmark.LeftEyeCentre, FaceLandmark.RightEyeCentre, FaceLandmark.NoseTip, FaceLandmark.MouthLeft, FaceLandmark.MouthRight })
            {
                var p = geometry.Image(landmark);
                Assert.InRange(p.X, geometry.FaceX1, geometry.FaceX2);
                Assert.InRange(p.Y, geometry.FaceY1, geometry.FaceY2);
            }

            Assert.InRange(scene.Width, 160, 320);
            Assert.InRange(scene.Height, 160, 320);
        }
    }

    [Fact]
    public void Faces_are_not_always_centred()
    {
        var offsets = Enumerable.Range(0, (int)Study.MimicCount).Select(i => Study.GetMimic(i).Scene).Select(s => Math.Abs(s.CentreX / s.Width - 0.5)).ToArray();
        Assert.Contains(offsets, o => o > 0.1);
    }

    [Fact]
    public void Rendering_gives_a_colour_jpeg_of_the_scene_size_with_a_face_unlike_the_background()
    {
        var scene = Study.GetMimic(3).Scene;
        using var bitmap = SkiaSharp.SKBitmap.Decode(FaceRenderer.RenderJpeg(scene));
        var geometry = FaceRenderer.Layout(scene);

        Assert.Equal(scene.Width, bitmap.Width);
        Assert.Equal(scene.Height, bitmap.Height);
        var eye = geometry.Image(FaceLandmark.LeftPupil);
        var cheek = geometry.Image(FaceLandmark.NoseTip);
        var pupil = bitmap.GetPixel((int)eye.X, (int)eye.Y);
        var skin = bitmap.GetPixel((int)cheek.X, (int)cheek.Y - 4);
        Assert.True(pupil.Red + pupil.Green + pupil.Blue + 60 < skin.Red + skin.Green + skin.Blue, $"pupil {pupil} is not darker than skin {skin}");
        Assert.NotEqual(skin.Red, skin.Blue);
    }
}
