using System.Diagnostics;
using System.Drawing;
using System.Globalization;
using System.Text.Json.Nodes;
using FaceCluster.Grains;
using FaceCluster.Morphs;
using FaceCluster.Reports;
using FaceCluster.Studies;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;
using FaceCluster.Torch;
using FaceCluster.Vision;
using Microsoft.Extensions.Options;

namespace FaceCluster.Learning.Grains;

/// <summary>The stages of a <c>morph</c> run, in order.</summary>
public static class MorphStages
{
    /// <summary>The morphs of ranges of dimensions (one dimension per range), each range's PNGs and counts in the run's shards.</summary>
    public const string Morph = "morph";

    /// <summary>The faces, <c>grid.png</c> and <c>summary.json</c> into the output folder.</summary>
    public const string Grid = "grid";
}

/// <summary>
/// Dimension faces (Brooks et al. 2024): for every significant PPCA dimension the top seeds by rotated DNN score and by
/// differential score (<see cref="MorphSelection"/>), and for every country the mean-shape morph of the mimics of those
/// seeds made there (<see cref="MorphPlan"/>, <see cref="Morph.Compose"/>). <c>morph</c> computes one dimension per
/// range on any silo: it reads the crops it needs (<see cref="CropSamples"/>), finds face-api.js's 68 landmarks of each
/// (<see cref="FaceLandmarker"/>) with the whole crop as the face box, since the crops are MTCNN face crops already, and
/// writes each (dimension, country) morph as a PNG into the run's shards with a JSON shard of its counts last.
/// <c>grid</c> copies the PNGs into the output folder as <c>{dimension}_{country}.png</c> and writes <c>grid.png</c>
/// (each face captioned with the country's top concept) and <c>summary.json</c>. A crop whose landmarks cannot be found
/// is left out and counted. Each morph depends only on the inputs (faces in images-table order, one crop at a time
/// through the landmark network), so any number of silos writes the same bytes.
/// </summary>
public sealed class MorphRunKind : IRunKind
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "morph";

    /// <summary>The grid in the output folder.</summary>
    public const string GridFile = "grid.png";

    private readonly FaceClusterClusterOptions _options;

    /// <summary>Creates the silo's morph work.</summary>
    public MorphRunKind(IOptions<FaceClusterClusterOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(RunRequest request, string dataRoot) =>
        RunParameters.Validate<MorphParameters>(request, dataRoot);

    /// <summary>The file name of a morph in the output folder: <c>{dimension}_{country}.png</c>, lower case, other characters than letters and digits turned to <c>_</c>.</summary>
    public static string FaceFileName(string dimension, string country) => MorphGrid.FileName(dimension, country)["morph_".Length..];

    /// <inheritdoc />
    public async Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        switch (planning.CompletedStage)
        {
            case null:
                var parameters = RunParameters.Read<MorphParameters>(planning.Request);
                var inputs = await MorphInputs.LoadAsync(planning.Files, parameters, cancellationToken).ConfigureAwait(false);
                var dimensions = inputs.Dimensions.Count;
                return dimensions == 0
                    ? StagePlan.Skip(MorphStages.Morph, "the PPCA has no significant dimension with seed scores")
                    : new StagePlan(MorphStages.Morph, dimensions, RangeSchedule.Fixed(dimensions, 1));
            case MorphStages.Morph:
                return StagePlan.One(MorphStages.Grid);
            default:
                return null;
        }
    }

    /// <inheritdoc />
    public string ShardOf(RunFiles files, RunRequest request, string stage, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(files);
        return stage switch
        {
            MorphStages.Morph => RangeShard(files, first, count),
            MorphStages.Grid => Path.Combine(files.Output(request), "summary.json"),
            _ => throw new ArgumentException($"A morph run has no stage '{stage}'.", nameof(stage)),
        };
    }

    /// <inheritdoc />
    public IEnumerable<string> FilesOf(RunFiles files, RunRequest request, string stage, int first, int count) =>
        stage == MorphStages.Grid ? RunFiles.FilesUnder(files.Output(request)) : [ShardOf(files, request, stage, first, count)];

    /// <inheritdoc />
    public Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var parameters = RunParameters.Read<MorphParameters>(work.Request);
        return work.Range.Stage switch
        {
            MorphStages.Morph => StageTasks.Whole(MorphAsync(work, parameters, ThreadsPerRange(parameters), cancellationToken)),
            MorphStages.Grid => StageTasks.Whole(GridAsync(work, parameters, cancellationToken)),
            _ => throw new ArgumentException($"A morph run has no stage '{work.Range.Stage}'.", nameof(work)),
        };
    }

    /// <summary>
    /// <paramref name="name"/>, or with <c>_2</c>, <c>_3</c>, ... before its extension when labels that differ only in
    /// case or punctuation ("U.S." and "U S") already took it; <c>summary.json</c> names each morph's file.
    /// </summary>
    public static string UniqueName(string name, HashSet<string> taken)
    {
        var (stem, extension) = (Path.GetFileNameWithoutExtension(name), Path.GetExtension(name));
        var unique = name;
        for (var n = 2; !taken.Add(unique); n++)
        {
            unique = string.Create(CultureInfo.InvariantCulture, $"{stem}_{n}{extension}");
        }

        return unique;
    }

    private static string RangeShard(RunFiles files, int first, int count) =>
        files.Shard(string.Create(CultureInfo.InvariantCulture, $"morph-{first:D7}-{count:D7}.json"));

    private static string FacePath(RunFiles files, int dimension, int country) =>
        files.Shard(string.Create(CultureInfo.InvariantCulture, $"morph-face-{dimension:D4}-{country:D4}.png"));

    /// <summary>
    /// The run's threads, or by default the silo's cores shared between its worker slots: each range runs the landmark
    /// network and the warp, and two ranges asking for every core would each get half of it, with switching on top.
    /// </summary>
    private int ThreadsPerRange(MorphParameters parameters) =>
        parameters.Threads > 0 ? parameters.Threads : _options.CoresPerWorkerSlot;

    private static async Task MorphAsync(RangeWork work, MorphParameters parameters, int threads, CancellationToken cancellationToken)
    {
        var (first, count) = (work.Range.First, work.Range.Count);
        var inputs = await MorphInputs.LoadAsync(work.Files, parameters, cancellationToken).ConfigureAwait(false);
        var cells = inputs.Cells.Where(c => c.DimensionIndex >= first && c.DimensionIndex < first + count).ToArray();
        var wanted = MorphPlan.Wanted(cells.Select(c => c.Plan));
        var clock = Stopwatch.StartNew();
        var crops = await CropSamples.ReadAsync(
            CropSet.Open(work.Files.Resolve(parameters.Crops)), (id, _, _) => wanted.Contains(id), cancellationToken).ConfigureAwait(false);
        var readSeconds = clock.Elapsed.TotalSeconds;

        // One crop at a time through the network, in the order of the crop set: a face's landmarks never depend on which
        // other faces share its batch or its range.
        clock.Restart();
        var faces = new Dictionary<string, (byte[] Pixels, int Side, PointF[]? Landmarks)>(StringComparer.Ordinal);
        await Task.Run(
            () =>
            {
                TorchRuntime.UseThreads(threads);
                using var landmarker = FaceLandmarker.LoadEmbedded();
                foreach (var crop in crops)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (faces.ContainsKey(crop.ImageId))
                    {
                        continue;
                    }

                    var side = (int)Math.Round(Math.Sqrt(crop.Pixels.Length / 3.0));
                    faces[crop.ImageId] = (crop.Pixels, side, side * side * 3 == crop.Pixels.Length && side > 0 ? Landmarks(landmarker, crop.Pixels, side) : null);
                }
            },
            cancellationToken).ConfigureAwait(false);
        var landmarkSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var records = new JsonArray();
        foreach (var cell in cells)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var withoutCrop = cell.Plan.MimicIds.Count(id => !faces.ContainsKey(id));
            var usable = cell.Plan.MimicIds
                .Where(faces.ContainsKey)
                .Select(id => faces[id])
                .Where(f => f.Landmarks is not null)
                .Select(f => (f.Pixels, f.Side, f.Side, f.Landmarks!))
                .ToArray();
            var withoutLandmarks = cell.Plan.MimicIds.Count - withoutCrop - usable.Length;
            string? failure = null;
            var facesUsed = 0;
            if (usable.Length > 0)
            {
                try
                {
                    var morph = await StageTasks.Offload(() => Morph.Compose(usable, inputs.Size, threads), cancellationToken).ConfigureAwait(false);
                    var png = MorphGrid.EncodePng(morph);
                    await AtomicFile.WriteAsync(FacePath(work.Files, cell.DimensionIndex, cell.CountryIndex), (s, ct) => s.WriteAsync(png, ct).AsTask(), cancellationToken).ConfigureAwait(false);
                    facesUsed = morph.FaceCount;
                }
                catch (ArgumentException e)
                {
                    // The mean shape is degenerate (two landmarks coincide): the cell stays empty and says why.
                    failure = e.Message;
                }
            }

            records.Add(new JsonObject
            {
                ["dimension"] = cell.Plan.Dimension,
                ["country"] = cell.Plan.Country,
                ["dimension_index"] = cell.DimensionIndex,
                ["country_index"] = cell.CountryIndex,
                ["seeds"] = new JsonArray([.. cell.Plan.Seeds.Seeds.Select(s => (JsonNode?)s)]),
                ["mimics"] = cell.Plan.MimicIds.Count,
                ["faces"] = facesUsed,
                ["without_crop"] = withoutCrop,
                ["without_landmarks"] = withoutLandmarks,
                ["failure"] = failure,
            });
        }

        var shard = new JsonObject
        {
            ["first"] = first,
            ["count"] = count,
            ["cells"] = records,
            ["seconds"] = new JsonObject
            {
                ["read_crops"] = Math.Round(readSeconds, 3),
                ["landmarks"] = Math.Round(landmarkSeconds, 3),
                ["compose"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
            },
        };
        await AtomicFile.WriteJsonAsync(RangeShard(work.Files, first, count), shard, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>face-api.js's 68 landmarks of a whole crop, or null when they cannot be computed (not finite).</summary>
    private static PointF[]? Landmarks(FaceLandmarker landmarker, byte[] pixels, int side)
    {
        try
        {
            var points = landmarker.Detect(new RgbImage(side, side, pixels), new Vision.FaceBox(0, 0, side, side)).Points;
            var result = points.Select(p => new PointF(p.X, p.Y)).ToArray();
            return result.Length == Morph.LandmarkCount && result.All(p => float.IsFinite(p.X) && float.IsFinite(p.Y)) ? result : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static async Task GridAsync(RangeWork work, MorphParameters parameters, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var inputs = await MorphInputs.LoadAsync(work.Files, parameters, cancellationToken).ConfigureAwait(false);
        var records = new List<JsonObject>();
        var rangeSeconds = new JsonArray();
        IEnumerable<string> shards = Directory.Exists(work.Files.Shards) ? Directory.EnumerateFiles(work.Files.Shards, "morph-*.json") : [];
        foreach (var path in shards.Order(StringComparer.Ordinal))
        {
            var shard = await StageTasks.ReadJsonAsync<JsonObject>(path, cancellationToken).ConfigureAwait(false);
            records.AddRange(shard["cells"]!.AsArray().Select(c => c!.AsObject()));
            rangeSeconds.Add(shard["seconds"]?.DeepClone());
        }

        records.Sort((a, b) => (a["dimension_index"]!.GetValue<int>(), a["country_index"]!.GetValue<int>()).CompareTo((b["dimension_index"]!.GetValue<int>(), b["country_index"]!.GetValue<int>())));
        var cells = new List<MorphCell>();
        var faces = new JsonArray();
        using var output = StagedOutputDirectory.Create(work.Files.Output(work.Request), overwrite: true);
        var taken = new HashSet<string>(StringComparer.Ordinal) { GridFile, "summary.json" };
        foreach (var record in records)
        {
            var (d, c) = (record["dimension_index"]!.GetValue<int>(), record["country_index"]!.GetValue<int>());
            var (dimension, country) = (inputs.Dimensions[d], inputs.Countries[c]);
            MorphResult? morph = null;
            string? file = null;
            if (record["faces"]!.GetValue<int>() > 0)
            {
                var png = await File.ReadAllBytesAsync(FacePath(work.Files, d, c), cancellationToken).ConfigureAwait(false);
                var image = RgbImage.Decode(png);
                morph = new MorphResult(image.Pixels.ToArray(), image.Width, [], [], record["faces"]!.GetValue<int>());
                file = UniqueName(FaceFileName(dimension, country), taken);
                await File.WriteAllBytesAsync(output.GetPath(file), png, cancellationToken).ConfigureAwait(false);
            }

            cells.Add(new MorphCell(dimension, country, morph, inputs.CaptionOf(d, country)));
            var summary = (JsonObject)record.DeepClone();
            summary.Remove("dimension_index");
            summary.Remove("country_index");
            summary["file"] = file;
            summary["caption"] = inputs.CaptionOf(d, country);
            faces.Add(summary);
        }

        var grid = MorphGrid.Create(inputs.Dimensions, inputs.Countries, cells);
        await File.WriteAllBytesAsync(output.GetPath(GridFile), grid.Grid, cancellationToken).ConfigureAwait(false);
        var summaryJson = new JsonObject
        {
            ["dimensions"] = new JsonArray([.. inputs.Dimensions.Select(d => (JsonNode?)d)]),
            ["countries"] = new JsonArray([.. inputs.Countries.Select(c => (JsonNode?)c)]),
            ["count"] = parameters.Count,
            ["size"] = inputs.Size,
            ["grid"] = GridFile,
            ["grid_width"] = grid.GridWidth,
            ["grid_height"] = grid.GridHeight,
            ["faces"] = records.Sum(r => r["faces"]!.GetValue<int>()),
            ["without_crop"] = records.Sum(r => r["without_crop"]!.GetValue<int>()),
            ["without_landmarks"] = records.Sum(r => r["without_landmarks"]!.GetValue<int>()),
            ["morphs"] = faces,
            ["study"] = parameters.Study,
            ["crops"] = parameters.Crops,
            ["ppca"] = parameters.Ppca,
            ["timings"] = new JsonObject { ["ranges"] = rangeSeconds, ["grid_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3) },
            ["run_id"] = work.Files.RunId,
            ["versions"] = Outputs.SummaryJson.Versions(),
        };
        await AtomicFile.WriteJsonAsync(output.GetPath("summary.json"), summaryJson, cancellationToken).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>What every stage of a morph run reads: the PPCA's dimensions and captions, the countries, and the plan.</summary>
internal sealed class MorphInputs
{
    private readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> _captions;

    private MorphInputs(
        IReadOnlyList<string> dimensions, IReadOnlyList<string> countries, IReadOnlyList<(int DimensionIndex, int CountryIndex, MorphPlanCell Plan)> cells,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> captions, int size)
    {
        Dimensions = dimensions;
        Countries = countries;
        Cells = [.. cells.Select(c => new MorphInputCell(c.DimensionIndex, c.CountryIndex, c.Plan))];
        _captions = captions;
        Size = size;
    }

    /// <summary>The dimension labels (rows of the grid).</summary>
    public IReadOnlyList<string> Dimensions { get; }

    /// <summary>The countries (columns): the PPCA's, in its order, then any other country of the mimics, in ordinal order.</summary>
    public IReadOnlyList<string> Countries { get; }

    /// <summary>The plan's cells, row-major.</summary>
    public IReadOnlyList<MorphInputCell> Cells { get; }

    /// <summary>The side of a morph: the crop set's crop size.</summary>
    public int Size { get; }

    /// <summary>The caption of a face: the country's top concept on the dimension, or empty.</summary>
    public string CaptionOf(int dimension, string country) =>
        _captions.TryGetValue(Dimensions[dimension], out var top) && top.TryGetValue(country, out var concept) ? concept : "";

    public static async Task<MorphInputs> LoadAsync(RunFiles files, MorphParameters parameters, CancellationToken cancellationToken)
    {
        var ppcaFolder = files.Resolve(parameters.Ppca);
        var results = await RunResults.LoadAsync(new ReportInputs { Folder = ppcaFolder, Ppca = ppcaFolder }, cancellationToken).ConfigureAwait(false);
        var ppca = results.Ppca;
        var study = StudyFolder.Open(files.Resolve(parameters.Study));
        var imagesPath = study.ImagesPath ?? throw new InvalidInputException($"{parameters.Study}: no images.parquet or images.csv");
        var images = await StudyImageTable.ReadAsync(imagesPath, cancellationToken).ConfigureAwait(false);
        var size = CropSet.Open(files.Resolve(parameters.Crops)).Manifest.ImageSize;
        if (ppca.Scores is not { } scores || ppca.SeedIds.Count == 0)
        {
            return new MorphInputs([], [], [], new Dictionary<string, IReadOnlyDictionary<string, string>>(), size);
        }

        var known = ppca.Grid?.Countries ?? [];
        var others = images.Images.Where(i => i.IsMimic && i.Country is not null && !known.Contains(i.Country)).Select(i => i.Country!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        string[] countries = [.. known, .. others];
        var plan = MorphPlan.Build(scores, ppca.SeedIds, images.Images, countries, parameters.Count);
        var cells = plan.Select((cell, i) => (i / countries.Length, i % countries.Length, cell)).ToArray();
        var captions = ppca.Meanings.ToDictionary(m => m.Dimension, m => MorphGrid.TopConcepts(m), StringComparer.Ordinal);
        return new MorphInputs(scores.Labels, countries, cells, captions, size);
    }
}

/// <summary>One cell of the plan with its place in the grid.</summary>
internal sealed record MorphInputCell(int DimensionIndex, int CountryIndex, MorphPlanCell Plan);
