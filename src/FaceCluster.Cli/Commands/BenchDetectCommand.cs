using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceCluster.Analysis;
using FaceCluster.Synthetic;
using FaceCluster.Tables;
using FaceCluster.Torch;
using FaceCluster.Vision;
using SkiaSharp;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster bench detect</c>: MTCNN detection throughput (images per second) on 640 x 480 photos, and the
/// decoding rate of the same photos as JPEG. The photos are rendered group scenes by default, or are made from the two
/// test photos of a checkout (<c>--photos tests/data/images</c>).
/// </summary>
/// <remarks>
/// By default one worker per core calls <see cref="Mtcnn.Detect(IReadOnlyList{RgbImage})"/> on batches of four with
/// one libtorch thread each: MTCNN's many small operations scale better across concurrent calls than across
/// libtorch's threads within one call, above all on a machine shared with other work.
/// </remarks>
internal static class BenchDetectCommand
{
    private const int Width = 640;
    private const int Height = 480;
    private const double Target = 25;

    /// <summary>Builds the <c>detect</c> command of the <c>bench</c> group.</summary>
    internal static Command Create(CliContext context)
    {
        var images = new Option<int>("--images") { Description = "Images to detect in the timed run.", DefaultValueFactory = _ => 240, HelpName = "N" };
        var batch = new Option<int>("--batch") { Description = "Images per Mtcnn.Detect call.", DefaultValueFactory = _ => 4, HelpName = "N" };
        var workers = new Option<int>("--workers") { Description = "Concurrent Detect calls [default: one per core].", DefaultValueFactory = _ => Environment.ProcessorCount, HelpName = "N" };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0: cores / workers).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var photos = new Option<string?>("--photos")
        {
            Description = $"Folder holding multiface.jpg and astronaut.png (a checkout's tests/data/images) to make the {Width} x {Height} photos from [default: rendered group scenes].",
            HelpName = "DIR",
        };
        var models = DetectCommand.ModelsOption();
        var device = DetectCommand.DeviceOption();
        var command = new Command("detect", $"Time MTCNN face detection on {Width} x {Height} photos (target {Target:F0} images/s on 2 cores).")
        {
            images, batch, workers, threads, photos, models, device,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetValue(images),
            parseResult.GetValue(batch),
            parseResult.GetValue(workers),
            parseResult.GetValue(threads),
            parseResult.GetValue(photos),
            parseResult.GetValue(models),
            parseResult.GetRequiredValue(device),
            cancellationToken));
        return command;
    }

    /// <summary>
    /// The benchmark photos made from the test photos in <paramref name="folder"/>: the group photo scaled to 480 rows
    /// and cut to its middle 640 columns (six faces of about 60 px), a 640 x 480 window of it at full size (five faces
    /// of about 80 px), and the astronaut scaled to 640 x 640 and cut to 480 rows (one face of about 140 px).
    /// </summary>
    internal static RgbImage[] Photos(string folder)
    {
        var group = RgbImage.Decode(Path.Combine(folder, "multiface.jpg"));
        var scaled = group.Resize(group.Width * Height / group.Height, Height);
        var astronaut = RgbImage.Decode(Path.Combine(folder, "astronaut.png")).Resize(Width, Width);
        return
        [
            scaled.Crop(new CropRegion((scaled.Width - Width) / 2, 0, ((scaled.Width - Width) / 2) + Width, Height)),
            group.Crop(new CropRegion(280, 80, 280 + Width, 80 + Height)),
            astronaut.Crop(new CropRegion(0, 40, Width, 40 + Height)),
        ];
    }

    /// <summary>
    /// Rendered benchmark photos with the faces per photo and about the face boxes of <see cref="Photos"/>: six people
    /// in a 3 x 2 grid (MTCNN boxes about 60 px wide), five in rows of three and two (about 90 px), and one (about
    /// 110 px), each person before their own background, drawn by the synthetic study's renderer (deterministic). They
    /// hold less texture than photographs, so MTCNN has fewer candidates to reject and runs faster on them.
    /// </summary>
    internal static RgbImage[] RenderedPhotos() =>
    [
        RenderGroup(0, [.. Grid(3, 2, Width, Height)], 33),
        RenderGroup(1, [.. Grid(3, 1, Width, Height / 2), .. Grid(2, 1, Width, Height / 2).Select(t => t with { Y = Height / 2 })], 49),
        RenderGroup(2, [new Tile(0, 0, Width, Height)], 61),
    ];

    private static IEnumerable<Tile> Grid(int columns, int rows, int width, int height) =>
        from r in Enumerable.Range(0, rows)
        from c in Enumerable.Range(0, columns)
        select new Tile(c * width / columns, r * height / rows, ((c + 1) * width / columns) - (c * width / columns), ((r + 1) * height / rows) - (r * height / rows));

    private static RgbImage RenderGroup(int photo, Tile[] tiles, double scale)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            for (var i = 0; i < tiles.Length; i++)
            {
                var tile = tiles[i];
                var random = new SeededRandom(1, RandomPurpose.SyntheticData, photo, i);
                var scene = new FaceScene
                {
                    Identity = FaceIdentity.Random(ref random),
                    Expression = FaceExpression.Neutral,
                    Width = tile.Width,
                    Height = tile.Height,
                    CentreX = tile.Width / 2.0,
                    CentreY = (tile.Height / 2.0) - (0.1 * scale),
                    Scale = scale,
                    Roll = 6 * ((random.NextDouble() * 2) - 1),
                    LightAngle = 30 + (120 * random.NextDouble()),
                    Background = new SceneBackground(
                        Rgb.FromHsv(360 * random.NextDouble(), 0.1 + (0.3 * random.NextDouble()), 0.5 + (0.4 * random.NextDouble())),
                        Rgb.FromHsv(360 * random.NextDouble(), 0.1 + (0.3 * random.NextDouble()), 0.4 + (0.4 * random.NextDouble())),
                        (BackgroundPattern)random.NextInt(5)),
                    Clothing = Rgb.FromHsv(360 * random.NextDouble(), 0.3 + (0.4 * random.NextDouble()), 0.25 + (0.45 * random.NextDouble())),
                };
                canvas.Save();
                canvas.ClipRect(SKRect.Create(tile.X, tile.Y, tile.Width, tile.Height));
                canvas.Translate(tile.X, tile.Y);
                FaceRenderer.Draw(canvas, scene);
                canvas.Restore();
            }

            canvas.Flush();
        }

        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return RgbImage.Decode(png.AsSpan());
    }

    private static async Task<int> RunAsync(
        CliContext context, int count, int batch, int workers, int threads, string? photoFolder, string? models, string device, CancellationToken cancellationToken)
    {
        if (count < 1 || batch < 1 || workers < 1 || threads < 0)
        {
            throw new InvalidInputException($"need --images >= 1, --batch >= 1, --workers >= 1, --threads >= 0 (got {count}, {batch}, {workers}, {threads})");
        }

        var folder = photoFolder is null ? null : Path.GetFullPath(photoFolder);
        if (folder is not null && !(File.Exists(Path.Combine(folder, "multiface.jpg")) && File.Exists(Path.Combine(folder, "astronaut.png"))))
        {
            throw new InvalidInputException($"--photos {folder}: the folder needs multiface.jpg and astronaut.png (a checkout's tests/data/images)");
        }

        using var detector = DetectCommand.LoadDetector(models, new MtcnnOptions { Device = device });
        var photos = folder is null ? RenderedPhotos() : Photos(folder);
        var intraOp = threads > 0 ? threads : Math.Max(1, Environment.ProcessorCount / workers);
        TorchRuntime.UseThreads(intraOp);
        var output = context.Output;
        await output.WriteLineAsync(Invariant(
            $"bench detect: {count} images of {Width} x {Height}, batches of {batch}, {workers} worker(s) x {intraOp} libtorch thread(s), {Environment.ProcessorCount} core(s), device {detector.Device}, load average {LoadAverage()}")).ConfigureAwait(false);

        var faces = detector.Detect(photos);
        await output.WriteLineAsync(
            $"faces per photo: {string.Join(", ", faces.Select(f => f.Count))} ({(folder is null ? "rendered group scenes" : $"made from the photos in {folder}")})").ConfigureAwait(false);

        var batches = Enumerable.Range(0, count).Select(i => photos[i % photos.Length]).Chunk(batch).ToArray();
        var result = await Task.Run(
            () =>
            {
                // Warm-up: every batch size and crop count once, so that timings leave out oneDNN's kernel generation.
                TorchRuntime.UseThreads(intraOp);
                foreach (var size in batches.Select(b => b.Length).Distinct())
                {
                    detector.Detect(batches.First(b => b.Length == size));
                }

                var next = -1;
                var process = Process.GetCurrentProcess();
                var cpuBefore = process.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken }, _ =>
                {
                    TorchRuntime.UseThreads(intraOp);
                    int k;
                    while ((k = Interlocked.Increment(ref next)) < batches.Length)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        detector.Detect(batches[k]);
                    }
                });
                var seconds = watch.Elapsed.TotalSeconds;
                process.Refresh();
                return (Seconds: seconds, Cpu: (process.TotalProcessorTime - cpuBefore).TotalSeconds);
            },
            cancellationToken).ConfigureAwait(false);

        var rate = count / result.Seconds;
        await output.WriteLineAsync(Invariant(
            $"detect: {result.Seconds:F2} s, {rate:F1} images/s, {result.Seconds / count * 1e3:F1} ms per image, {result.Cpu / count * 1e3:F1} ms CPU per image   target >= {Target:F0} images/s")).ConfigureAwait(false);

        var jpegs = photos.Select(p => p.EncodeJpeg(90)).ToArray();
        var decodeWatch = Stopwatch.StartNew();
        var decoded = 0;
        while (decodeWatch.Elapsed.TotalSeconds < 1)
        {
            RgbImage.Decode(jpegs[decoded++ % jpegs.Length]);
        }

        await output.WriteLineAsync(Invariant(
            $"decode: {decoded / decodeWatch.Elapsed.TotalSeconds:F0} images/s (JPEG quality 90, one thread); load average now {LoadAverage()}")).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Where one person is drawn in a rendered photo.</summary>
    private readonly record struct Tile(int X, int Y, int Width, int Height);
}
