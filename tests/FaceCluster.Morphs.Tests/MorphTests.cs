using System.Diagnostics;
using System.Drawing;

namespace FaceCluster.Morphs.Tests;

public sealed class MorphTests(ITestOutputHelper output)
{
    private const int Size = 160;

    /// <summary>Faces whose landmarks are a base face's jittered by a few pixels, on noise images.</summary>
    private static List<(byte[] Pixels, int W, int H, PointF[] Landmarks68)> Faces(int count, int seed = 1)
    {
        var baseShape = Shapes.Landmarks(seed);
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(f => (Shapes.Noise(seed + f, Size, Size), Size, Size,
                baseShape.Select(p => new PointF(p.X + (float)((random.NextDouble() - 0.5) * 4), p.Y + (float)((random.NextDouble() - 0.5) * 4))).ToArray()))
            .ToList();
    }

    [Fact]
    public void The_mean_of_identical_faces_is_that_face()
    {
        var image = Shapes.PatternImage(Size, Size);
        var landmarks = Shapes.Landmarks(5);
        var faces = Enumerable.Repeat((image, Size, Size, landmarks), 4).ToList();

        var morph = Morph.Compose(faces, Size);

        Assert.Equal(4, morph.FaceCount);
        Assert.Equal(Morph.WithBorder(landmarks, Size, Size), morph.MeanShape);
        Assert.All(image.Zip(morph.Pixels), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 1));
    }

    [Fact]
    public void The_result_is_deterministic_and_the_same_on_1_and_4_threads()
    {
        var faces = Faces(12);
        var one = Morph.Compose(faces, Size, maxDegreeOfParallelism: 1);
        var four = Morph.Compose(faces, Size, maxDegreeOfParallelism: 4);
        var again = Morph.Compose(faces, Size);

        Assert.Equal(one.Pixels, four.Pixels);
        Assert.Equal(one.Pixels, again.Pixels);
        Assert.Equal(one.MeanShape, four.MeanShape);
        Assert.Equal(one.Triangles, four.Triangles);
    }

    [Fact]
    public void The_mean_shape_is_the_mean_of_the_shapes_scaled_to_the_frame()
    {
        var faces = Faces(3);
        // A fourth face at half size: its shape counts in unit-square coordinates.
        var small = faces[0].Landmarks68.Select(p => new PointF(p.X / 2, p.Y / 2)).ToArray();
        faces.Add((new byte[80 * 80 * 3], 80, 80, small));

        var morph = Morph.Compose(faces, 100);

        for (var i = 0; i < Morph.LandmarkCount; i++)
        {
            var x = ((faces[0].Landmarks68[i].X * 2) + faces[1].Landmarks68[i].X + faces[2].Landmarks68[i].X) / 4 / Size * 100;
            Assert.Equal(x, morph.MeanShape[i].X, 3);
        }

        Assert.Equal(Morph.BorderPoints(100, 100), morph.MeanShape.Skip(Morph.LandmarkCount));
    }

    [Fact]
    public void Uniform_faces_average_to_their_mean_colour_rounded_half_away_from_zero()
    {
        var faces = Faces(2);
        faces[0] = (Enumerable.Repeat((byte)10, Size * Size * 3).ToArray(), Size, Size, faces[0].Landmarks68);
        faces[1] = (Enumerable.Repeat((byte)13, Size * Size * 3).ToArray(), Size, Size, faces[1].Landmarks68);

        var morph = Morph.Compose(faces, 64);

        Assert.All(morph.Pixels, p => Assert.Equal(12, p));
    }

    [Fact]
    public void Bad_faces_are_refused()
    {
        var faces = Faces(2);
        Assert.Throws<ArgumentException>(() => Morph.Compose([], Size));
        Assert.Throws<ArgumentException>(() => Morph.Compose([(faces[0].Pixels, Size, Size, faces[0].Landmarks68[..60])], Size));
        Assert.Throws<ArgumentException>(() => Morph.Compose([(new byte[5], Size, Size, faces[0].Landmarks68)], Size));
    }

    /// <summary>
    /// A paper-size run has about 28 dimensions x 6 countries of about 90 mimics each at 160 x 160: one such morph is
    /// timed (after a warm-up) and multiplied by 168.
    /// </summary>
    [Fact(Explicit = true)]
    public void Benchmark_paper_size_morphs()
    {
        var faces = Faces(90, seed: 3);
        Morph.Compose(faces, Size);
        const int repeats = 5;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < repeats; i++)
        {
            Morph.Compose(faces, Size);
        }

        var one = watch.Elapsed.TotalSeconds / repeats;
        output.WriteLine($"one morph of 90 faces at {Size} px: {one * 1000:F1} ms on {Environment.ProcessorCount} cores; x168 = {one * 168:F1} s");
        Assert.True(one * 168 < 300, $"168 morphs would take {one * 168:F0} s");
    }
}
