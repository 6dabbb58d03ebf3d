using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Learning.Grains;
using FaceCluster.Morphs;
using FaceCluster.Outputs;
using FaceCluster.Reports;
using FaceCluster.Studies;
using FaceCluster.Studies.Crops;
using FaceCluster.Synthetic;
using FaceCluster.Tables;
using SkiaSharp;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster bench morph</c>: the <c>morph</c> stage of a paper-size run, timed end to end (Brooks et al. 2024: for
/// each significant dimension and each of 6 countries, the mimics of the dimension's top seeds, 5 by score and 5 by
/// differential score, about 90, morphed into one face), against the target of at most 300 s.
/// </summary>
/// <remarks>
/// <para>
/// Untimed setup, a run folder as a pipeline leaves it: planted DNN-side and judgment-side tables of <c>--seeds</c> seeds
/// x 6 countries (CN ET IN ZA US VE) x 48 concepts with <c>--dimensions</c> planted dimensions, analysed by the real PPCA
/// (100 bootstrap resamples, no loading-significance replicates) into <c>run/ppca</c>; a study folder (<c>study.json</c>
/// and an images table of every seed and, for every seed, <c>--mimics-per-country</c> mimics in each country, so that a
/// cell has up to 2 x 5 seeds x 9 = 90 mimics as the paper's, fewer where the two rankings share seeds); <c>run/run.json</c> naming the study; and
/// <c>run/crops</c>, a crop set (160 x 160, <see cref="CropShard"/> and <see cref="CropSetManifest"/>) holding the crops
/// of the mimics the morph plan wants, computed from the written PPCA's scores and the written images table exactly as
/// the <c>morph</c> kind does (<see cref="MorphPlan.Build"/>). The other mimics are left out of the crop set to keep the
/// setup small; <see cref="CropSamples"/> reads the pixels only of the row groups that hold wanted crops, so what they
/// would add is the reading of the identity columns of more shards. The crops are <c>--faces</c> distinct rendered
/// synthetic faces (random identities and expressions, seeded, deterministic), each cropped square around its face box
/// with a margin as facenet-pytorch's MTCNN crops with <c>margin = 20</c> of 160, resized to 160 x 160 with SkiaSharp,
/// and reused cyclically across the crops: every crop still goes through the landmark network, so the timing is
/// representative.
/// </para>
/// <para>
/// Timed: <see cref="MorphCommand.RunAsync"/> on the run folder (an embedded silo with <c>--workers</c> slots; its start
/// is included). Then the wall time against the target, the counts and the per-range timings of
/// <c>morphs/summary.json</c>, summed over ranges.
/// </para>
/// </remarks>
internal static class BenchMorphCommand
{
    /// <summary>The target for a paper-size morph run on a 2-core machine, in seconds.</summary>
    public const double TargetSeconds = 300;

    /// <summary>The side of a crop.</summary>
    private const int CropSize = 160;

    /// <summary>facenet-pytorch's <c>margin</c> of the synthetic crops, in pixels of the 160-pixel crop.</summary>
    private const int CropMargin = 20;

    /// <summary>Crops per shard (the <c>crop</c> kind's default).</summary>
    private const int ShardSize = 256;

    /// <summary>The random stream of the rendered faces.</summary>
    private const long FaceTag = 0x4D4F_5250;

    private static readonly string[] Countries = ["CN", "ET", "IN", "ZA", "US", "VE"];

    /// <summary>Builds the <c>bench morph</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var seeds = new Option<int>("--seeds") { Description = "Seeds.", DefaultValueFactory = _ => 1000, HelpName = "N" };
        var dimensions = new Option<int>("--dimensions") { Description = "Planted dimensions.", DefaultValueFactory = _ => 28, HelpName = "N" };
        var mimics = new Option<int>("--mimics-per-country") { Description = "Mimics of every seed made in each country.", DefaultValueFactory = _ => 9, HelpName = "N" };
        var count = new Option<int>("--count") { Description = "Top seeds per ranking (by score and by differential score).", DefaultValueFactory = _ => 5, HelpName = "N" };
        var workers = new Option<int>("--workers") { Description = "Worker slots of the embedded silo (0: one per core).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var faces = new Option<int>("--faces") { Description = "Distinct rendered faces, reused cyclically across the crops.", DefaultValueFactory = _ => 240, HelpName = "N" };
        var folder = new Option<string?>("--folder") { Description = "Generate the run here (a new or empty folder) and keep it [default: a temporary folder, deleted at the end].", HelpName = "DIR" };
        var command = new Command("morph", "Time the morph stage of a generated paper-size run (landmarks, warps, grid) end to end.")
        {
            seeds, dimensions, mimics, count, workers, faces, folder,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            context,
            new Settings(parse.GetValue(seeds), parse.GetValue(dimensions), parse.GetValue(mimics), parse.GetValue(count), parse.GetValue(workers), parse.GetValue(faces)),
            parse.GetValue(folder),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, Settings settings, string? folder, CancellationToken cancellationToken)
    {
        if (settings.Seeds < 100 || settings.Dimensions is < 1 or > 48 || settings.MimicsPerCountry < 1 || settings.Count is < 1 or > MorphParameters.MaxCount
            || settings.Workers < 0 || settings.Faces < 1)
        {
            throw new InvalidInputException(Invariant(
                $"bench morph: --seeds must be at least 100, --dimensions 1 to 48, --mimics-per-country and --faces at least 1, --count 1 to {MorphParameters.MaxCount} and --workers 0 or more (got {settings.Seeds}, {settings.Dimensions}, {settings.MimicsPerCountry}, {settings.Faces}, {settings.Count}, {settings.Workers})"));
        }

        if (folder is not null && Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            throw new InvalidInputException($"bench morph: --folder {folder} is not empty; give a new or empty folder");
        }

        var root = folder is null ? Directory.CreateTempSubdirectory("facecluster-bench-morph-").FullName : Directory.CreateDirectory(folder).FullName;
        try
        {
            var watch = Stopwatch.StartNew();
            var setup = await WriteRunAsync(root, settings, cancellationToken).ConfigureAwait(false);
            await Line(context, $"Generated a run of {settings.Seeds} seeds x {setup.Attributes} attributes with {settings.Dimensions} planted dimensions ({setup.Significant} significant by the PPCA), a study of {setup.ImageRows} images ({settings.MimicsPerCountry} mimics per seed per country) and {setup.Crops} crops in {watch.Elapsed.TotalSeconds:0.0} s ({setup.Run}).").ConfigureAwait(false);
            await Line(context, $"The crop set holds only the {setup.Crops} mimics the morph plan wants (of {setup.Mimics}; the others are left out to keep the setup small, and CropSamples reads pixels only of row groups holding wanted crops): {settings.Faces} rendered faces, 160 x 160, reused cyclically, each crop through the landmark network.").ConfigureAwait(false);

            watch.Restart();
            await MorphCommand.RunAsync(context, setup.Run, settings.Count, settings.Workers, new Execution(false, null), cancellationToken).ConfigureAwait(false);
            var seconds = watch.Elapsed.TotalSeconds;

            var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(setup.Run, "morphs", "summary.json"), cancellationToken).ConfigureAwait(false))!.AsObject();
            var dimensionCount = summary["dimensions"]!.AsArray().Count;
            var countryCount = summary["countries"]!.AsArray().Count;
            var morphs = summary["morphs"]!.AsArray().Select(m => m!.AsObject()).ToArray();
            var made = morphs.Count(m => m["file"] is not null);
            var faces = summary["faces"]!.GetValue<int>();
            var seedsPerDimension = morphs.DistinctBy(m => m["dimension"]!.GetValue<string>()).Select(m => m["seeds"]!.AsArray().Count).DefaultIfEmpty(0).Average();
            var landmarked = morphs.Sum(m => m["mimics"]!.GetValue<int>() - m["without_crop"]!.GetValue<int>());
            var ranges = summary["timings"]!["ranges"]!.AsArray().Select(r => r!.AsObject()).ToArray();
            double Sum(string name) => ranges.Sum(r => r[name]?.GetValue<double>() ?? 0);
            var (read, landmarks, compose) = (Sum("read_crops"), Sum("landmarks"), Sum("compose"));
            var grid = summary["timings"]!["grid_seconds"]!.GetValue<double>();
            await Line(context, $"Morph run: {seconds:0.0} s end to end (target at most {TargetSeconds:0} s: {seconds / TargetSeconds:0.00} of it); {dimensionCount} dimensions x {countryCount} countries, {made} morphs of {faces} faces ({(made > 0 ? (double)faces / made : 0):0.0} per morph from {seedsPerDimension:0.0} seeds per dimension), {summary["without_landmarks"]!.GetValue<int>()} without landmarks, {summary["without_crop"]!.GetValue<int>()} without a crop.").ConfigureAwait(false);
            await Line(context, $"Sums over {ranges.Length} ranges: read_crops {read:0.0} s, landmarks {landmarks:0.0} s, compose {compose:0.0} s; grid stage {grid:0.0} s; landmarks {(landmarks > 0 ? landmarked / landmarks : 0):0.0} faces/s within a range ({landmarked} crops), {landmarked / seconds:0.0} faces/s over the whole run.").ConfigureAwait(false);
            await Line(context, $"{Environment.ProcessorCount} cores, --workers {settings.Workers}, load average {LoadAverage()}.").ConfigureAwait(false);
            return ExitCodes.Success;
        }
        finally
        {
            if (folder is null)
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>Writes <c>ROOT/study</c> and <c>ROOT/run</c> (run.json, ppca/, crops/).</summary>
    private static async Task<Setup> WriteRunAsync(string root, Settings settings, CancellationToken cancellationToken)
    {
        var run = Directory.CreateDirectory(Path.Combine(root, "run")).FullName;
        var study = Directory.CreateDirectory(Path.Combine(root, "study")).FullName;

        // The PPCA, as bench report computes it: the real analysis of planted tables, few bootstrap resamples, no replicates.
        var data = PlantedPpcaData.Generate(new PlantedPpcaOptions { Stimuli = settings.Seeds, Countries = Countries, Concepts = 48, Dimensions = settings.Dimensions, Seed = 1 });
        var options = new PpcaOptions { Bootstrap = 100, Replicates = 0, Threads = 0 };
        var result = await Task.Run(() => PpcaAnalysis.Run(data.X, data.Y, data.Attributes, options, null, cancellationToken), cancellationToken).ConfigureAwait(false);
        var ppca = Directory.CreateDirectory(Path.Combine(run, "ppca")).FullName;
        await PpcaOutputs.WriteAsync(ppca, result, data.SeedIds, options, new JsonObject { ["x"] = "predictions.parquet", ["y"] = "judgments.parquet" }, cancellationToken).ConfigureAwait(false);

        // The study: study.json and the images table (every seed, then its mimics country by country).
        var concepts = data.Attributes.Where(a => a.StartsWith(Countries[0] + ":", StringComparison.Ordinal)).Select(a => a[(Countries[0].Length + 1)..]).ToArray();
        await new StudyManifest("bench-morph", Countries, concepts, Countries.ToDictionary(c => c, c => EmotionConcepts.Languages[c], StringComparer.Ordinal))
            .WriteAsync(Path.Combine(study, StudyManifest.FileName), cancellationToken).ConfigureAwait(false);
        var rows = new List<(string Id, string Kind, string Seed, string? Country, string? Participant, string Path)>();
        foreach (var seed in data.SeedIds)
        {
            rows.Add((seed, StudyImage.SeedKind, seed, null, null, $"images/seeds/{seed}.jpg"));
            foreach (var country in Countries)
            {
                for (var m = 1; m <= settings.MimicsPerCountry; m++)
                {
                    var id = Invariant($"{seed}-{country}-M{m:D3}");
                    rows.Add((id, StudyImage.MimicKind, seed, country, Invariant($"{country}-P{m:D3}"), $"images/mimics/{seed}/{id}.jpg"));
                }
            }
        }

        var imagesPath = Path.Combine(study, "images.parquet");
        await ParquetTableWriter.WriteAsync(
            imagesPath,
            [
                new ParquetColumn("image_id", rows.Select(r => (string?)r.Id).ToArray()),
                new ParquetColumn("kind", rows.Select(r => (string?)r.Kind).ToArray()),
                new ParquetColumn("seed_id", rows.Select(r => (string?)r.Seed).ToArray()),
                new ParquetColumn("country", rows.Select(r => r.Country).ToArray()),
                new ParquetColumn("participant_id", rows.Select(r => r.Participant).ToArray()),
                new ParquetColumn("path", rows.Select(r => (string?)r.Path).ToArray()),
            ],
            cancellationToken).ConfigureAwait(false);

        // The plan, as the morph kind computes it (MorphInputs): the written PPCA's scores and the written images table.
        var results = await RunResults.LoadAsync(new ReportInputs { Folder = ppca, Ppca = ppca }, cancellationToken).ConfigureAwait(false);
        var images = await StudyImageTable.ReadAsync(imagesPath, cancellationToken).ConfigureAwait(false);
        var known = results.Ppca.Grid?.Countries ?? [];
        var others = images.Images.Where(i => i.IsMimic && i.Country is not null && !known.Contains(i.Country)).Select(i => i.Country!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var wanted = results.Ppca.Scores is { } scores && results.Ppca.SeedIds.Count > 0
            ? MorphPlan.Wanted(MorphPlan.Build(scores, results.Ppca.SeedIds, images.Images, [.. known, .. others], settings.Count))
            : new HashSet<string>(StringComparer.Ordinal);
        var crops = images.Images.Where(i => i.ImageId is { } id && wanted.Contains(id)).ToArray();
        await WriteCropsAsync(Path.Combine(run, "crops"), study, images.Images.Count, crops, RenderFaces(settings.Faces), cancellationToken).ConfigureAwait(false);

        var record = new PipelineRecord
        {
            RunId = "pipeline-bench-morph",
            State = "completed",
            Study = study,
            StartedAt = DateTimeOffset.UtcNow,
            FinishedAt = DateTimeOffset.UtcNow,
            Versions = SummaryJson.Versions(),
            Parameters = new JsonObject { ["study"] = study },
            Seeds = new Dictionary<string, ulong> { ["ppca"] = options.Seed },
        };
        await record.WriteAsync(Path.Combine(run, PipelineRecord.FileName), cancellationToken).ConfigureAwait(false);
        return new Setup(run, data.Attributes.Length, result.SignificantCount, images.Images.Count, images.Images.Count(i => i.IsMimic), crops.Length);
    }

    /// <summary>
    /// Writes the crops of <paramref name="crops"/> (images-table rows, in table order) in shards of up to
    /// <see cref="ShardSize"/>, each named by the range of table rows it spans, and the manifest.
    /// </summary>
    private static async Task WriteCropsAsync(string folder, string study, int imageCount, StudyImage[] crops, byte[][] faces, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(CropSet.ShardFolder(folder));
        await new CropSetManifest(CropSetManifest.CurrentFormat, "bench-morph", study, imageCount, ShardSize, CropSize, CropMargin, "prewhiten", "probable", 20, [0.6, 0.7, 0.7], 0.709, false)
            .WriteAsync(folder, cancellationToken).ConfigureAwait(false);
        for (var start = 0; start < crops.Length; start += ShardSize)
        {
            var end = Math.Min(crops.Length, start + ShardSize);
            var records = Enumerable.Range(start, end - start).Select(k =>
            {
                var image = crops[k];
                return new FaceCropRecord(image.ImageId!, StudyImage.MimicKind, image.SeedId!, CropStatus.Ok, null, CropSize, CropSize, 1, new CropBox(0, 0, CropSize, CropSize), 0.99f, null, faces[k % faces.Length]);
            }).ToArray();
            var (first, last) = ((int)crops[start].Row - 1, (int)crops[end - 1].Row);
            await CropShard.WriteAsync(Path.Combine(CropSet.ShardFolder(folder), CropShard.FileName(first, last)), records, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <paramref name="count"/> distinct synthetic faces (random identity and expression, seeded), each cropped square
    /// around its face box with facenet-pytorch's margin of 20 of 160 and resized to 160 x 160: HWC RGB bytes.
    /// </summary>
    internal static byte[][] RenderFaces(int count) =>
        [.. Enumerable.Range(0, count).AsParallel().AsOrdered().Select(RenderFace)];

    private static byte[] RenderFace(int index)
    {
        var random = new SeededRandom(1, RandomPurpose.SyntheticData, FaceTag, index);
        var identity = FaceIdentity.Random(ref random);
        var movements = new double[FaceExpression.Count];
        for (var m = 0; m < movements.Length; m++)
        {
            movements[m] = FaceExpression.IsSigned((FacialMovement)m)
                ? 0.4 * ((2 * random.NextDouble()) - 1)
                : random.NextDouble() < 0.3 ? 0.8 * random.NextDouble() : 0;
        }

        var background = new SceneBackground(
            Rgb.FromHsv(20 + (60 * random.NextDouble()), 0.05 + (0.25 * random.NextDouble()), 0.55 + (0.4 * random.NextDouble())),
            Rgb.FromHsv(360 * random.NextDouble(), 0.1 + (0.2 * random.NextDouble()), 0.4 + (0.4 * random.NextDouble())),
            random.NextDouble() < 0.6 ? BackgroundPattern.Plain : BackgroundPattern.Gradient);
        var clothing = Rgb.FromHsv(360 * random.NextDouble(), 0.3 + (0.4 * random.NextDouble()), 0.25 + (0.45 * random.NextDouble()));
        var scene = FaceScene.Random(identity, new FaceExpression(movements), background, clothing, ref random);
        var geometry = FaceRenderer.Layout(scene);

        // A square about the face box's centre, its side the box's longer side widened as facenet-pytorch widens a box by
        // `margin` (margin * side / (size - margin)), moved inside the image and no larger than it.
        var boxSide = Math.Max(geometry.FaceX2 - geometry.FaceX1, geometry.FaceY2 - geometry.FaceY1);
        var side = Math.Min(boxSide * CropSize / (CropSize - CropMargin), Math.Min(scene.Width, scene.Height));
        var left = Math.Clamp(((geometry.FaceX1 + geometry.FaceX2) / 2) - (side / 2), 0, scene.Width - side);
        var top = Math.Clamp(((geometry.FaceY1 + geometry.FaceY2) / 2) - (side / 2), 0, scene.Height - side);

        using var photo = FaceRenderer.Render(scene);
        using var image = SKImage.FromBitmap(photo);
        using var crop = new SKBitmap(new SKImageInfo(CropSize, CropSize, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(crop))
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawImage(
                image,
                SKRect.Create((float)left, (float)top, (float)side, (float)side),
                SKRect.Create(0, 0, CropSize, CropSize),
                new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        }

        var rgba = crop.Bytes;
        var pixels = new byte[CropSize * CropSize * 3];
        for (int i = 0, j = 0; i < pixels.Length; i += 3, j += 4)
        {
            (pixels[i], pixels[i + 1], pixels[i + 2]) = (rgba[j], rgba[j + 1], rgba[j + 2]);
        }

        return pixels;
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

    private static Task Line(CliContext context, FormattableString text) => context.Output.WriteLineAsync(text.ToString(CultureInfo.InvariantCulture));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Settings(int Seeds, int Dimensions, int MimicsPerCountry, int Count, int Workers, int Faces);

    private sealed record Setup(string Run, int Attributes, int Significant, int ImageRows, int Mimics, int Crops);
}
