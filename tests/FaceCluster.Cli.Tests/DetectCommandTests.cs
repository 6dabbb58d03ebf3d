using System.Diagnostics;
using System.Text.Json;

namespace FaceCluster.Cli.Tests;

public sealed class DetectCommandTests : IDisposable
{
    private static readonly string Root = FindRepositoryRoot();
    private static readonly string Models = Path.Combine(Root, "src", "FaceCluster.Vision", "Weights");
    private static readonly string Photos = Path.Combine(Root, "tests", "data", "images");
    private static readonly string Astronaut = Path.Combine(Photos, "astronaut.png");
    private static readonly string Multiface = Path.Combine(Photos, "multiface.jpg");

    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-detect-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Table_lists_every_face_of_every_image()
    {
        var run = await CliRun.Of("detect", Astronaut, Multiface, "--models", Models, "--device", "cpu");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(string.Empty, run.Error);
        var rows = run.Output.Split('\n').Where(l => l.Contains(" ok ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(7, rows.Length);
        Assert.Single(rows, r => r.Contains("astronaut.png", StringComparison.Ordinal));
        Assert.Contains("181.1", rows[0], StringComparison.Ordinal);
        foreach (var header in new[] { "x1", "probability", "left_eye", "mouth_right" })
        {
            Assert.Contains(header, run.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Json_gives_boxes_probabilities_and_landmarks()
    {
        var run = await CliRun.Of("detect", Astronaut, "--format", "json", "--models", Models, "--min-face-size", "40");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        var image = Assert.Single(json.RootElement.EnumerateArray().ToArray());
        Assert.Equal("ok", image.GetProperty("status").GetString());
        Assert.Equal(512, image.GetProperty("width").GetInt32());
        var face = Assert.Single(image.GetProperty("faces").EnumerateArray().ToArray());
        var box = face.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        // A coarser pyramid (it starts at scale 12 / 40) finds the face slightly elsewhere than the default's 181.05.
        Assert.InRange(box[0], 178, 184);
        Assert.NotEqual(181.05, box[0], 1);
        Assert.InRange(box[3], 168, 176);
        Assert.True(face.GetProperty("probability").GetDouble() > 0.999);
        Assert.Equal(
            ["left_eye", "right_eye", "nose", "mouth_left", "mouth_right"],
            face.GetProperty("landmarks").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Unreadable_images_are_reported_the_others_processed_and_the_exit_code_is_2()
    {
        var text = Path.Combine(_folder, "notes.jpg");
        await File.WriteAllTextAsync(text, "not an image", TestContext.Current.CancellationToken);
        var truncated = Path.Combine(_folder, "cut.png");
        var png = await File.ReadAllBytesAsync(Astronaut, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(truncated, png[..(png.Length / 3)], TestContext.Current.CancellationToken);
        var missing = Path.Combine(_folder, "missing.jpg");
        var blank = Path.Combine(_folder, "blank.png");
        await File.WriteAllBytesAsync(blank, new Vision.RgbImage(64, 64, new byte[64 * 64 * 3]).EncodePng(), TestContext.Current.CancellationToken);

        var run = await CliRun.Of("detect", text, Astronaut, truncated, missing, blank, "--format", "json", "--models", Models);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            [
                $"error: {text}: unsupported: not a JPEG, PNG, WebP, BMP or GIF image (unrecognised bytes)",
                $"error: {truncated}: corrupt: truncated: the PNG data ends early",
                $"error: {missing}: unreadable: no such file",
                "error: 3 of 5 images could not be read",
            ],
            run.ErrorLines);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(
            ["unsupported", "ok", "corrupt", "unreadable", "no_face"],
            json.RootElement.EnumerateArray().Select(i => i.GetProperty("status").GetString()));
        Assert.Single(json.RootElement[1].GetProperty("faces").EnumerateArray());
    }

    [Fact]
    public async Task The_embedded_weights_are_used_by_default()
    {
        Assert.Null(Environment.GetEnvironmentVariable("FACECLUSTER_MTCNN_MODELS"));
        var run = await CliRun.Of("detect", Astronaut);

        Assert.Equal(0, run.ExitCode);
        var row = Assert.Single(run.Output.Split('\n'), l => l.Contains(" ok ", StringComparison.Ordinal));
        Assert.Contains("astronaut.png", row, StringComparison.Ordinal);
        Assert.Contains("181.1", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FACECLUSTER_MTCNN_MODELS_overrides_the_embedded_weights_and_models_overrides_both()
    {
        // A process of its own, so that the variable reaches no other test; its working folder lies outside the checkout.
        async Task<(int ExitCode, string Output, string Error)> Detect(params string[] extra)
        {
            var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "facecluster.dll"), "detect", Astronaut, "--format", "json", .. extra])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = _folder,
            };
            info.Environment["FACECLUSTER_MTCNN_MODELS"] = Path.Combine(_folder, "no-weights-here");
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            return (process.ExitCode, await output, await error);
        }

        var fromVariable = await Detect();
        Assert.Equal(2, fromVariable.ExitCode);
        Assert.Contains(Path.Combine(_folder, "no-weights-here"), fromVariable.Error, StringComparison.Ordinal);

        var fromOption = await Detect("--models", Models);
        Assert.True(fromOption.ExitCode == 0, fromOption.Error);
        using var json = JsonDocument.Parse(fromOption.Output);
        Assert.Equal("ok", json.RootElement[0].GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("--models", "/nonexistent/mtcnn", "/nonexistent/mtcnn")]
    [InlineData("--min-face-size", "5", "at least 12 pixels")]
    [InlineData("--device", "tpu", "'tpu'")]
    [InlineData("--format", "xml", "xml")]
    public async Task Bad_settings_give_one_error_line_and_exit_code_2(string option, string value, string expected)
    {
        var run = await CliRun.Of("detect", Astronaut, option, value);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_detect_times_the_640_by_480_photos()
    {
        var run = await CliRun.Of("bench", "detect", "--images", "8", "--batch", "2", "--workers", "2", "--photos", Photos, "--models", Models);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("8 images of 640 x 480, batches of 2, 2 worker(s) x 1 libtorch thread(s)", run.Output, StringComparison.Ordinal);
        Assert.Contains($"faces per photo: 6, 5, 1 (made from the photos in {Photos})", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"detect: [0-9.]+ s, [0-9.]+ images/s", run.Output);
    }

    [Fact]
    public async Task Bench_detect_renders_its_photos_by_default()
    {
        var run = await CliRun.Of("bench", "detect", "--images", "4", "--batch", "2", "--workers", "1");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("faces per photo: 6, 5, 1 (rendered group scenes)", run.Output, StringComparison.Ordinal);

        var missing = await CliRun.Of("bench", "detect", "--images", "4", "--photos", _folder);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("multiface.jpg and astronaut.png", Assert.Single(missing.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Rendered_benchmark_photos_have_the_face_sizes_of_the_real_ones()
    {
        using var detector = Vision.Mtcnn.LoadEmbedded(new Vision.MtcnnOptions { Device = "cpu" });
        var rendered = Commands.BenchDetectCommand.RenderedPhotos();
        var real = Commands.BenchDetectCommand.Photos(Photos);

        var renderedFaces = detector.Detect(rendered);
        var realFaces = detector.Detect(real);

        Assert.All(rendered, p => Assert.Equal((640, 480), (p.Width, p.Height)));
        for (var i = 0; i < rendered.Length; i++)
        {
            Assert.Equal(realFaces[i].Count, renderedFaces[i].Count);
            var realWidth = realFaces[i].Average(f => f.Box.X2 - f.Box.X1);
            var renderedWidth = renderedFaces[i].Average(f => f.Box.X2 - f.Box.X1);
            Assert.InRange(renderedWidth, 0.9 * realWidth, 1.1 * realWidth);
        }
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

        throw new InvalidOperationException("no FaceCluster.sln above the test's folder");
    }
}
