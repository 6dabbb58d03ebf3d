using FaceCluster.Analysis;

namespace FaceCluster.Synthetic.Tests;

public sealed class RenderSamples
{
    [Fact]
    public void Write_samples_when_asked()
    {
        var folder = Environment.GetEnvironmentVariable("FACECLUSTER_SAMPLES");
        if (string.IsNullOrEmpty(folder))
        {
            return;
        }

        Directory.CreateDirectory(folder);
        var expressions = new Dictionary<string, double[]>
        {
            ["neutral"] = new double[18],
            ["joy"] = Values((FacialMovement.CheekRaise, 0.8), (FacialMovement.LipCornerPull, 1)),
            ["surprise"] = Values((FacialMovement.BrowInnerRaise, 0.9), (FacialMovement.BrowOuterRaise, 0.9), (FacialMovement.UpperLidRaise, 0.9), (FacialMovement.JawDrop, 0.7)),
            ["anger"] = Values((FacialMovement.BrowLower, 1), (FacialMovement.LidTighten, 0.7), (FacialMovement.LipPress, 0.8)),
            ["sad"] = Values((FacialMovement.BrowInnerRaise, 1), (FacialMovement.LipCornerDepress, 0.9), (FacialMovement.GazeY, 0.6)),
            ["disgust"] = Values((FacialMovement.NoseWrinkle, 1), (FacialMovement.UpperLipRaise, 0.8), (FacialMovement.HeadTurn, 0.6)),
        };
        var i = 0;
        foreach (var (name, values) in expressions)
        {
            var random = new SeededRandom(7, RandomPurpose.SyntheticData, 99, i++);
            var identity = FaceIdentity.Random(ref random);
            var background = new SceneBackground(Rgb.FromHsv(random.NextDouble() * 360, 0.3, 0.8), Rgb.FromHsv(random.NextDouble() * 360, 0.3, 0.6), (BackgroundPattern)random.NextInt(5));
            var scene = FaceScene.Random(identity, new FaceExpression(values), background, Rgb.FromHsv(random.NextDouble() * 360, 0.5, 0.5), ref random);
            File.WriteAllBytes(Path.Combine(folder, $"{i}-{name}.png"), FaceRenderer.RenderPng(scene));
        }

        // Seeds and mimics of a study, as the JPEG that is written, converted to PNG for viewing.
        var study = SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 4, MimicsPerSeed = 6 });
        for (var s = 0; s < 2; s++)
        {
            var seed = study.GetSeed(s);
            Save(Path.Combine(folder, $"{seed.Id}.png"), seed.Scene);
            for (var m = 0; m < 3; m++)
            {
                var mimic = study.GetMimic((long)s * study.MimicsPerSeed + m, seed);
                Save(Path.Combine(folder, $"{mimic.Id}.png"), mimic.Scene);
            }
        }
    }

    private static void Save(string path, FaceScene scene)
    {
        using var bitmap = SkiaSharp.SKBitmap.Decode(FaceRenderer.RenderJpeg(scene));
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static double[] Values(params (FacialMovement Movement, double Value)[] values)
    {
        var result = new double[FaceExpression.Count];
        foreach (var (movement, value) in values)
        {
            result[(int)movement] = value;
        }

        return result;
    }
}
