using System.Globalization;
using System.Text.Json;

namespace FaceCluster.Vision.Tests;

/// <summary>
/// The TorchSharp landmark network, with its pre- and post-processing, against face-api.js itself (vladmandic's
/// build 1.7.15 on tfjs-backend-cpu 4.22.0) on the same decoded pixels and boxes: Fixtures/face_landmarks_reference.json,
/// made by scripts/fixtures/face_landmarks_reference.mjs from the inputs scripts/fixtures/face_landmarks_inputs.cs wrote
/// (the two test photos with MTCNN's boxes and two boxes over the edges, and four rendered faces).
/// </summary>
public sealed class FaceLandmarkReferenceTests : IClassFixture<FaceLandmarkerFixture>
{
    private const double TolerancePixels = 0.01;
    private readonly FaceLandmarkerFixture _fixture;

    public FaceLandmarkReferenceTests(FaceLandmarkerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Images()
    {
        var data = new TheoryData<string>();
        foreach (var image in Reference().RootElement.GetProperty("images").EnumerateArray())
        {
            data.Add(image.GetProperty("path").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Landmarks_match_face_api_js_within_a_hundredth_of_a_pixel(string path)
    {
        using var reference = Reference();
        var entry = reference.RootElement.GetProperty("images").EnumerateArray().Single(e => e.GetProperty("path").GetString() == path);
        var image = RgbImage.Decode(RepositoryFiles.At(path));
        Assert.Equal(entry.GetProperty("width").GetInt32(), image.Width);
        var boxes = entry.GetProperty("boxes").EnumerateArray()
            .Select(b => b.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray())
            .Select(b => new FaceBox(b[0], b[1], b[2], b[3])).ToArray();
        var expected = entry.GetProperty("landmarks").EnumerateArray().ToArray();
        Assert.NotEmpty(boxes);
        Assert.Equal(boxes.Length, expected.Length);

        var actual = _fixture.Landmarker.Detect(image, boxes);

        var worst = 0.0;
        var where = string.Empty;
        for (var f = 0; f < boxes.Length; f++)
        {
            Assert.Equal(FaceLandmarks68.Count, actual[f].Points.Count);
            var points = expected[f].EnumerateArray().ToArray();
            Assert.Equal(FaceLandmarks68.Count, points.Length);
            for (var i = 0; i < points.Length; i++)
            {
                var error = Math.Max(
                    Math.Abs(actual[f].Points[i].X - points[i][0].GetDouble()),
                    Math.Abs(actual[f].Points[i].Y - points[i][1].GetDouble()));
                if (error > worst)
                {
                    worst = error;
                    where = string.Create(CultureInfo.InvariantCulture, $"face {f} point {i}: ({actual[f].Points[i].X}, {actual[f].Points[i].Y}) vs ({points[i][0]}, {points[i][1]})");
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}: max |error| {worst:E2} px ({where})"));
        Assert.True(worst <= TolerancePixels, string.Create(CultureInfo.InvariantCulture, $"{path}: max |error| {worst} px at {where}"));
    }

    private static JsonDocument Reference() =>
        JsonDocument.Parse(File.ReadAllText(RepositoryFiles.At("tests/FaceCluster.Vision.Tests/Fixtures/face_landmarks_reference.json")));
}

/// <summary>One landmarker with the embedded weights, shared by a test class.</summary>
public sealed class FaceLandmarkerFixture : IDisposable
{
    public FaceLandmarkerFixture() => Landmarker = FaceLandmarker.LoadEmbedded();

    public FaceLandmarker Landmarker { get; }

    public void Dispose() => Landmarker.Dispose();
}
