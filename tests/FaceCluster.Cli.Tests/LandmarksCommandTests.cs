using System.Text.Json;

namespace FaceCluster.Cli.Tests;

public sealed class LandmarksCommandTests : IDisposable
{
    private static readonly string Root = FindRepositoryRoot();
    private static readonly string Models = Path.Combine(Root, "src", "FaceCluster.Vision", "Weights");
    private static readonly string Astronaut = Path.Combine(Root, "tests", "data", "images", "astronaut.png");

    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-landmarks-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Json_gives_68_points_per_face_inside_its_box()
    {
        var run = await CliRun.Of("landmarks", Astronaut, "--format", "json", "--models", Models, "--device", "cpu");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(string.Empty, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        var image = Assert.Single(json.RootElement.EnumerateArray().ToArray());
        Assert.Equal("ok", image.GetProperty("status").GetString());
        var face = Assert.Single(image.GetProperty("faces").EnumerateArray().ToArray());
        var box = face.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var points = face.GetProperty("landmarks").EnumerateArray().Select(p => (X: p[0].GetDouble(), Y: p[1].GetDouble())).ToArray();
        Assert.Equal(68, points.Length);
        // The jaw, brows, eyes, nose and mouth lie within the box (a little slack for the jaw line) and in 300-W order:
        // point 36 (an eye corner) is left of point 45 (the other eye's outer corner), the nose tip (30) above the mouth (62).
        Assert.All(points, p => Assert.InRange(p.X, box[0] - 10, box[2] + 10));
        Assert.All(points, p => Assert.InRange(p.Y, box[1] - 10, box[3] + 10));
        Assert.True(points[36].X < points[45].X);
        Assert.True(points[30].Y < points[62].Y);
        Assert.True(points[8].Y > points[57].Y);
    }

    [Fact]
    public async Task Table_has_a_row_per_point()
    {
        var run = await CliRun.Of("landmarks", Astronaut, "--models", Models, "--device", "cpu");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(68, run.Output.Split('\n').Count(l => l.Contains(" ok ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_unreadable_image_is_one_error_line_and_exit_code_2()
    {
        var text = Path.Combine(_folder, "notes.jpg");
        await File.WriteAllTextAsync(text, "not an image", TestContext.Current.CancellationToken);

        var run = await CliRun.Of("landmarks", text, Astronaut, "--format", "json", "--models", Models, "--device", "cpu");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            [
                $"error: {text}: unsupported: not a JPEG, PNG, WebP, BMP or GIF image (unrecognised bytes)",
                "error: 1 of 2 images could not be read",
            ],
            run.ErrorLines);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(["unsupported", "ok"], json.RootElement.EnumerateArray().Select(i => i.GetProperty("status").GetString()));
    }

    private static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "FaceCluster.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
