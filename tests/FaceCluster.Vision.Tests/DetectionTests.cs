namespace FaceCluster.Vision.Tests;

/// <summary>Detection with facenet-pytorch's weights on the two test photos (tests/data/images), against the NumPy reference.</summary>
public sealed class DetectionTests(MtcnnFixture fixture) : IClassFixture<MtcnnFixture>
{
    // reference/ref_detect.py: x1, y1, x2, y2, probability, then the five landmarks as x, y pairs.
    private static readonly float[] Astronaut =
        [181.0514f, 62.1561f, 267.7473f, 172.0502f, 0.9999977f, 205.0109f, 101.7274f, 246.7626f, 103.7141f, 224.6714f, 128.9650f, 201.7161f, 139.2462f, 245.2655f, 141.8570f];

    private static readonly float[][] Multiface =
    [
        [420.1428f, 133.0031f, 502.6749f, 240.1965f, 0.9999802f, 452.2982f, 175.1747f, 489.3589f, 178.6102f, 474.8364f, 202.4847f, 451.8171f, 216.0073f, 482.6606f, 217.3766f],
        [554.0928f, 45.4829f, 632.8440f, 158.1380f, 0.9999800f, 580.1543f, 89.9562f, 616.4803f, 93.1150f, 599.1446f, 120.3312f, 576.3090f, 127.1797f, 610.8086f, 129.3755f],
        [859.1932f, 436.5559f, 953.5569f, 558.5786f, 0.9998133f, 877.4471f, 486.1975f, 918.9723f, 484.5880f, 895.7296f, 516.8080f, 884.3635f, 533.6445f, 920.1524f, 530.2242f],
        [225.7989f, 249.0741f, 304.8120f, 356.8387f, 0.9997832f, 246.1757f, 294.3499f, 282.5920f, 287.2907f, 269.9440f, 316.0665f, 253.6198f, 329.5233f, 292.1113f, 321.9773f],
        [622.1823f, 197.5080f, 694.8333f, 296.7647f, 0.9995109f, 640.5217f, 237.3372f, 676.8857f, 238.4773f, 656.9506f, 260.6668f, 639.5397f, 268.8947f, 676.0023f, 270.3391f],
        [722.1528f, 464.3864f, 797.5674f, 573.2014f, 0.9984342f, 740.3190f, 510.5476f, 778.5584f, 507.4040f, 762.6495f, 537.4771f, 745.2528f, 546.9117f, 781.3707f, 542.4143f],
    ];

    private readonly Mtcnn _mtcnn = fixture.Detector;

    [Fact]
    public void The_astronaut_has_exactly_one_face_where_the_reference_finds_it()
    {
        var faces = _mtcnn.Detect(RgbImage.Decode(RepositoryFiles.Astronaut));

        var face = Assert.Single(faces);
        // Plausible by eye: Eileen Collins's face lies within x 170-290, y 60-210 of the 512 x 512 portrait.
        Assert.InRange(face.Box.X1, 170, 290);
        Assert.InRange(face.Box.X2, 170, 290);
        Assert.InRange(face.Box.Y1, 60, 210);
        Assert.InRange(face.Box.Y2, 60, 210);
        // The PNG decodes to the same pixels as in PIL, so the NumPy reference is matched to float rounding.
        AssertMatches(Astronaut, face, 0.05f);
    }

    [Fact]
    public void The_group_photo_has_its_six_faces_in_probability_order()
    {
        var faces = _mtcnn.Detect(RgbImage.Decode(RepositoryFiles.Multiface));

        Assert.True(faces.Count >= 5, $"{faces.Count} faces");
        Assert.Equal(Multiface.Length, faces.Count);
        // Within half a pixel: JPEG decoders may round differently from PIL's.
        for (var i = 0; i < faces.Count; i++)
        {
            AssertMatches(Multiface[i], faces[i], 0.5f);
        }

        Assert.Equal(faces.OrderByDescending(f => f.Probability).ToList(), faces);
    }

    [Fact]
    public void Two_runs_give_the_same_boxes()
    {
        var image = RgbImage.Decode(RepositoryFiles.Multiface);
        var first = _mtcnn.Detect(image);
        var second = _mtcnn.Detect(image);

        Assert.Equal(first.Count, second.Count);
        for (var i = 0; i < first.Count; i++)
        {
            Assert.True(Distance(first[i].Box, second[i].Box) <= 1e-3f, $"face {i}: {first[i].Box} then {second[i].Box}");
        }
    }

    [Fact]
    public void A_batch_of_mixed_sizes_gives_each_image_what_it_gives_alone()
    {
        var astronaut = RgbImage.Decode(RepositoryFiles.Astronaut);
        var multiface = RgbImage.Decode(RepositoryFiles.Multiface);
        var cropped = FaceCrop.Extract(multiface, new FaceBox(400, 100, 720, 340), 200);
        RgbImage[] batch = [astronaut, multiface, cropped, astronaut, Gray(64, 48)];

        var together = _mtcnn.Detect(batch);

        Assert.Equal(batch.Length, together.Count);
        for (var i = 0; i < batch.Length; i++)
        {
            var alone = _mtcnn.Detect(batch[i]);
            Assert.Equal(alone.Count, together[i].Count);
            for (var k = 0; k < alone.Count; k++)
            {
                Assert.True(Distance(alone[k].Box, together[i][k].Box) <= 1e-3f, $"image {i} face {k}");
                Assert.Equal(alone[k].Probability, together[i][k].Probability, 5);
            }
        }

        Assert.Single(together[0]);
        Assert.NotEmpty(together[2]);
        Assert.Empty(together[4]);
    }

    [Fact]
    public void Concurrent_calls_agree_with_a_single_one()
    {
        var image = RgbImage.Decode(RepositoryFiles.Astronaut);
        var expected = _mtcnn.Detect(image).Single().Box;
        var boxes = new FaceBox[4];
        Parallel.For(0, boxes.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => boxes[i] = _mtcnn.Detect(image).Single().Box);
        Assert.All(boxes, box => Assert.True(Distance(expected, box) <= 1e-3f));
    }

    [Fact]
    public void Images_without_faces_or_smaller_than_the_minimum_face_give_none()
    {
        Assert.Empty(_mtcnn.Detect(Gray(320, 240)));
        Assert.Empty(_mtcnn.Detect(Gray(19, 300)));
        Assert.Empty(_mtcnn.Detect(Gray(1, 1)));
        Assert.Empty(_mtcnn.Detect([]));
    }

    [Fact]
    public void Selection_keeps_the_most_probable_or_the_largest()
    {
        var faces = _mtcnn.Detect(RgbImage.Decode(RepositoryFiles.Multiface));

        Assert.Same(faces[0], _mtcnn.SelectFace(faces));
        var largest = Mtcnn.SelectFace(faces, FaceSelection.Largest)!;
        Assert.Equal(faces.Max(f => f.Box.Area), largest.Box.Area);
        Assert.NotSame(faces[0], largest); // (859, 437)-(954, 559) is larger than the most probable face
        Assert.Null(Mtcnn.SelectFace([], FaceSelection.Probable));
    }

    [Fact]
    public void The_kept_face_crops_and_prewhitens()
    {
        var image = RgbImage.Decode(RepositoryFiles.Astronaut);
        var face = _mtcnn.SelectFace(_mtcnn.Detect(image))!;

        var crop = FaceCrop.Extract(image, face, margin: 20);
        var region = FaceCrop.Region(face.Box, image.Width, image.Height, 160, 20);
        var values = FaceNormalization.Prewhiten(crop.Span);

        Assert.Equal((160, 160), (crop.Width, crop.Height));
        Assert.Equal(new CropRegion(174, 54, 273, 179), region); // margins 12.4 and 15.7 px, halved on each side
        Assert.Equal(3 * 160 * 160, values.Length);
    }

    [Fact]
    public void Options_are_validated_with_reasons()
    {
        var problems = new MtcnnOptions { MinFaceSize = 5, Thresholds = [0.6f, 1.5f, 0.7f], ScaleFactor = 1.2, Device = "tpu", MaxNetworkBatch = 0 }.Validate();

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("12 pixels", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("[0, 1]", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("shrinks", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'tpu'", StringComparison.Ordinal));
        Assert.Empty(new MtcnnOptions().Validate());
        Assert.Single(new MtcnnOptions { Thresholds = [0.5f] }.Validate());
        Assert.Throws<ArgumentException>(() => Mtcnn.Load(RepositoryFiles.Models, new MtcnnOptions { ScaleFactor = 0 }));
    }

    private static void AssertMatches(float[] expected, FaceDetection face, float tolerance)
    {
        float[] actual =
        [
            face.Box.X1, face.Box.Y1, face.Box.X2, face.Box.Y2, face.Probability,
            .. face.Landmarks.SelectMany(p => new[] { p.X, p.Y }),
        ];
        Assert.Equal(15, actual.Length);
        for (var i = 0; i < actual.Length; i++)
        {
            var allowed = i == 4 ? 1e-4f : tolerance;
            Assert.True(Math.Abs(actual[i] - expected[i]) <= allowed, $"value {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private static float Distance(FaceBox a, FaceBox b) =>
        new[] { a.X1 - b.X1, a.Y1 - b.Y1, a.X2 - b.X2, a.Y2 - b.Y2 }.Max(Math.Abs);

    private static RgbImage Gray(int width, int height) => new(width, height, Enumerable.Repeat((byte)128, width * height * 3).ToArray());
}
