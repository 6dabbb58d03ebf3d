using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FaceCluster.Studies;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;
using FaceCluster.Torch;
using FaceCluster.Vision;
using Microsoft.Extensions.Options;

using FaceCluster.Grains;

namespace FaceCluster.Learning.Grains;

/// <summary>The stages of a <c>crop</c> run, in order.</summary>
public static class CropStages
{
    /// <summary>Read the images table, write or check <c>crops.json</c> (one unit).</summary>
    public const string Prepare = "prepare";

    /// <summary>Face crops, one unit per row of the images table, one range per shard.</summary>
    public const string Crop = "crop";

    /// <summary>The detection summary (one unit).</summary>
    public const string Aggregate = "aggregate";
}

/// <summary>
/// MTCNN face crops of a study's images into a crop folder (see <c>docs/crops.md</c>): <c>prepare</c> (read the images
/// table, write or check <c>crops.json</c>), <c>crop</c> (decode, detect, crop and write one shard per range of
/// <see cref="CropParameters.ShardSize"/> images) and <c>aggregate</c> (the detection summary). The output folder is the
/// crop folder, which a rerun with the same settings resumes. One MTCNN per worker slot is kept for the silo's lifetime;
/// a range is a pure function of the images it covers and the settings, so any silo may compute it again with the same
/// result.
/// </summary>
public sealed class CropRunKind : IRunKind, IDisposable
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "crop";

    private readonly FaceClusterClusterOptions _options;
    private readonly ConcurrentDictionary<string, ConcurrentBag<Mtcnn>> _detectors = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<FaceLandmarker> _landmarkers = [];
    private readonly ConcurrentDictionary<string, Lazy<Task<StudyImageTable>>> _tables = new(StringComparer.Ordinal);

    /// <summary>Creates the silo's crop work.</summary>
    public CropRunKind(IOptions<FaceClusterClusterOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(RunRequest request, string dataRoot) =>
        RunParameters.Validate<CropParameters>(request, dataRoot);

    /// <inheritdoc />
    public async Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        switch (planning.CompletedStage)
        {
            case null:
                return StagePlan.One(CropStages.Prepare);
            case CropStages.Prepare:
                // Shards are named by their fixed range, so that a rerun into the folder finds them.
                var images = await StageTasks.ReadJsonAsync<PreparedImages>(PrepareShard(planning.Files), cancellationToken).ConfigureAwait(false);
                var parameters = RunParameters.Read<CropParameters>(planning.Request);
                return new StagePlan(CropStages.Crop, images.Images, RangeSchedule.Fixed(images.Images, parameters.ShardSize));
            case CropStages.Crop:
                return StagePlan.One(CropStages.Aggregate);
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
            CropStages.Prepare => PrepareShard(files),
            CropStages.Crop => Path.Combine(files.Output(request), CropSet.ShardFolderName, CropShard.FileName(first, first + count)),
            CropStages.Aggregate => Path.Combine(files.Output(request), "summary.json"),
            _ => throw new ArgumentException($"A crop run has no stage '{stage}'.", nameof(stage)),
        };
    }

    /// <inheritdoc />
    public Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var (files, request, range) = (work.Files, work.Request, work.Range);
        var settings = RunParameters.Read<CropParameters>(request);
        return range.Stage switch
        {
            CropStages.Prepare => StageTasks.Whole(PrepareAsync(files, request, settings, cancellationToken)),
            CropStages.Crop => CropAsync(files, request, settings, range.First, range.Count, cancellationToken),
            CropStages.Aggregate => StageTasks.Whole(SummarizeAsync(files, request, cancellationToken)),
            _ => throw new ArgumentException($"A crop run has no stage '{range.Stage}'.", nameof(work)),
        };
    }

    private static string PrepareShard(RunFiles files) => files.Shard("prepare.json");

    /// <summary>What the prepare stage found.</summary>
    /// <param name="Images">Rows of the images table.</param>
    private sealed record PreparedImages(int Images);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var bag in _detectors.Values)
        {
            while (bag.TryTake(out var detector))
            {
                detector.Dispose();
            }
        }

        while (_landmarkers.TryTake(out var landmarker))
        {
            landmarker.Dispose();
        }
    }

    private static CropSetManifest ManifestOf(CropParameters settings, string study, string studyName, int images) => new(
        CropSetManifest.CurrentFormat,
        studyName,
        study,
        images,
        settings.ShardSize,
        settings.ImageSize,
        settings.Margin,
        settings.Normalization,
        settings.Selection,
        settings.MinFaceSize,
        [settings.PNetThreshold, settings.RNetThreshold, settings.ONetThreshold],
        settings.ScaleFactor,
        settings.FallbackToTableBox,
        settings.Landmarks);

    private Task<StudyImageTable> ImagesOf(string studyFolder, CancellationToken cancellationToken)
    {
        var folder = StudyFolder.Open(studyFolder);
        var path = folder.ImagesPath ?? throw new InvalidInputException($"{studyFolder}: no images.parquet or images.csv");
        var key = $"{path}|{File.GetLastWriteTimeUtc(path).Ticks}";
        var lazy = _tables.GetOrAdd(key, _ => new Lazy<Task<StudyImageTable>>(() => StudyImageTable.ReadAsync(path, CancellationToken.None)));
        if (lazy.Value.IsFaulted)
        {
            _tables.TryRemove(new KeyValuePair<string, Lazy<Task<StudyImageTable>>>(key, lazy));
        }

        return lazy.Value.WaitAsync(cancellationToken);
    }

    private async Task PrepareAsync(RunFiles files, RunRequest request, CropParameters settings, CancellationToken cancellationToken)
    {
        var study = files.Resolve(settings.Study);
        var manifest = StudyManifest.Read(Path.Combine(study, StudyManifest.FileName));
        var table = await ImagesOf(study, cancellationToken).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var image in table.Images)
        {
            if (image.ImageId is null || image.Path is null || image.Kind is null)
            {
                throw InvalidInputException.InFile(table.File, "image_id, kind and path must not be empty", (int)image.Row, null);
            }

            if (!seen.Add(image.ImageId))
            {
                throw InvalidInputException.InFile(table.File, $"image_id '{image.ImageId}' is not unique", (int)image.Row, "image_id");
            }
        }

        // Every path before anything is written: no pixel from outside the study folder reaches a shard.
        new StudyPaths(study).RequireAll(table);
        var output = files.Output(request);
        Directory.CreateDirectory(CropSet.ShardFolder(output));
        var wanted = ManifestOf(settings, settings.StudyName ?? study, manifest.Name, table.Images.Count);
        if (File.Exists(Path.Combine(output, CropSetManifest.FileName)))
        {
            var existing = CropSetManifest.Read(output);
            if (!existing.SameSettings(wanted))
            {
                throw new InvalidInputException(
                    $"{Path.Combine(output, CropSetManifest.FileName)}: this crop folder was made with other settings or another study " +
                    $"({existing.Study}, {existing.ImageCount} images, shard size {existing.ShardSize}, margin {existing.Margin}); use a new --out folder");
            }
        }
        else
        {
            await wanted.WriteAsync(output, cancellationToken).ConfigureAwait(false);
        }

        await AtomicFile.WriteJsonAsync(PrepareShard(files), new PreparedImages(table.Images.Count), cancellationToken).ConfigureAwait(false);
    }

    private async Task<Func<CancellationToken, Task>> CropAsync(
        RunFiles files, RunRequest request, CropParameters settings, int first, int count, CancellationToken cancellationToken)
    {
        var study = files.Resolve(settings.Study);
        var table = await ImagesOf(study, cancellationToken).ConfigureAwait(false);
        if (first + count > table.Images.Count)
        {
            throw new InvalidInputException($"{table.File}: has {table.Images.Count} rows, the run expects at least {first + count}; the study changed during the run");
        }

        var images = table.Images.Skip(first).Take(count).ToArray();
        var records = await Task.Factory.StartNew(
            () => CropImages(new StudyPaths(study), table.File, images, settings, cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).ConfigureAwait(false);
        // Crops per second on the dashboards: every processed image, by its status (a handful of fixed codes).
        foreach (var group in records.GroupBy(r => r.Status, StringComparer.Ordinal))
        {
            FaceClusterTelemetry.CropsCompleted.Add(group.Count(), new KeyValuePair<string, object?>("facecluster.crop_status", group.Key));
        }

        var shard = ShardOf(files, request, CropStages.Crop, first, count);
        return ct => CropShard.WriteAsync(shard, records, ct);
    }

    private FaceCropRecord[] CropImages(StudyPaths paths, string tableFile, StudyImage[] images, CropParameters settings, CancellationToken cancellationToken)
    {
        // Each worker slot detects on its own; libtorch's intra-op threads (counted per OS thread) share the cores.
        TorchRuntime.UseThreads(_options.CoresPerWorkerSlot);
        var detector = Rent(settings);
        var landmarker = settings.Landmarks ? RentLandmarker() : null;
        try
        {
            var records = new FaceCropRecord[images.Length];
            // The run's limit, never above the hard one (docs/limits.md); both are checked on the header, before decoding.
            var maxPixels = Math.Min((long)(settings.MaxMegapixels * 1_000_000), ImageLimits.MaxPixels);
            for (var start = 0; start < images.Length; start += settings.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = images.AsSpan(start, Math.Min(settings.BatchSize, images.Length - start)).ToArray();
                var decoded = new RgbImage?[batch.Length];
                for (var i = 0; i < batch.Length; i++)
                {
                    try
                    {
                        // Confined again here: the study may have changed since the prepare stage checked it.
                        decoded[i] = RgbImage.Decode(paths.Require(batch[i].Path!, tableFile, batch[i].Row), maxPixels);
                    }
                    catch (ImageDecodeException e)
                    {
                        records[start + i] = Failed(batch[i], e.ReasonCode, e.Detail);
                    }
                }

                var readable = Enumerable.Range(0, batch.Length).Where(i => decoded[i] is not null).ToArray();
                var faces = readable.Length == 0 ? [] : detector.Detect(readable.Select(i => decoded[i]!).ToArray());
                for (var j = 0; j < readable.Length; j++)
                {
                    var i = readable[j];
                    records[start + i] = Crop(batch[i], decoded[i]!, faces[j], settings, landmarker);
                }
            }

            return records;
        }
        finally
        {
            Return(settings, detector);
            if (landmarker is not null)
            {
                _landmarkers.Add(landmarker);
            }
        }
    }

    private static FaceCropRecord Failed(StudyImage image, string status, string reason) =>
        new(image.ImageId!, image.Kind!, image.SeedId ?? "", status, reason, 0, 0, 0, null, null, null, null);

    private static FaceCropRecord Crop(StudyImage image, RgbImage decoded, IReadOnlyList<FaceDetection> faces, CropParameters settings, FaceLandmarker? landmarker)
    {
        if (faces.Count == 0)
        {
            if (settings.FallbackToTableBox && image.Face is { } box)
            {
                var fallback = new CropBox((float)box.X1, (float)box.Y1, (float)box.X2, (float)box.Y2);
                return new FaceCropRecord(
                    image.ImageId!, image.Kind!, image.SeedId ?? "", CropStatus.FallbackBox, "no face detected; cropped at the images table's face box",
                    decoded.Width, decoded.Height, 0, fallback, null, null,
                    FaceCrop.Extract(decoded, new Vision.FaceBox(fallback.X1, fallback.Y1, fallback.X2, fallback.Y2), settings.ImageSize, settings.Margin).Span.ToArray());
            }

            return new FaceCropRecord(
                image.ImageId!, image.Kind!, image.SeedId ?? "", CropStatus.NoFace, "MTCNN found no face", decoded.Width, decoded.Height, 0, null, null, null, null);
        }

        var kept = Mtcnn.SelectFace(faces, FaceSelections.Parse(settings.Selection))!;
        return new FaceCropRecord(
            image.ImageId!, image.Kind!, image.SeedId ?? "", CropStatus.Ok, null, decoded.Width, decoded.Height, faces.Count,
            new CropBox(kept.Box.X1, kept.Box.Y1, kept.Box.X2, kept.Box.Y2), kept.Probability,
            kept.Landmarks.SelectMany(p => new[] { p.X, p.Y }).ToArray(),
            FaceCrop.Extract(decoded, kept.Box, settings.ImageSize, settings.Margin).Span.ToArray(),
            landmarker is null ? null : Landmarks68(landmarker, decoded, kept.Box));
    }

    /// <summary>The 68 landmarks in the MTCNN box of the original image, as <c>facecluster landmarks</c> finds them.</summary>
    private static float[]? Landmarks68(FaceLandmarker landmarker, RgbImage decoded, Vision.FaceBox box)
    {
        try
        {
            return landmarker.Detect(decoded, box).Points.SelectMany(p => new[] { p.X, p.Y }).ToArray();
        }
        catch (ArgumentException)
        {
            // The box leaves no whole pixel inside the image (MTCNN boxes may reach past its edges): no landmarks.
            return null;
        }
    }

    private FaceLandmarker RentLandmarker()
    {
        if (_landmarkers.TryTake(out var landmarker))
        {
            return landmarker;
        }

        try
        {
            return FaceLandmarker.LoadEmbedded();
        }
        catch (InvalidDataException e)
        {
            // The weights built into FaceCluster.Vision do not match their checksums.
            throw new InvalidInputException($"face landmark weights: {e.Message}");
        }
    }

    private static string DetectorKey(CropParameters s) =>
        FormattableString.Invariant($"{s.MinFaceSize}|{s.PNetThreshold}|{s.RNetThreshold}|{s.ONetThreshold}|{s.ScaleFactor}|{s.Device}");

    private Mtcnn Rent(CropParameters settings)
    {
        var bag = _detectors.GetOrAdd(DetectorKey(settings), _ => []);
        if (bag.TryTake(out var detector))
        {
            return detector;
        }

        try
        {
            // The option's folder, else FACECLUSTER_MTCNN_MODELS's, else the weights built into FaceCluster.Vision.
            return Mtcnn.LoadDefault(
                _options.MtcnnModels,
                new MtcnnOptions
                {
                    MinFaceSize = settings.MinFaceSize,
                    Thresholds = [(float)settings.PNetThreshold, (float)settings.RNetThreshold, (float)settings.ONetThreshold],
                    ScaleFactor = settings.ScaleFactor,
                    Device = settings.Device,
                });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or Torch.Checkpoints.CheckpointFormatException or InvalidDataException)
        {
            throw new InvalidInputException($"MTCNN weights: {e.Message}");
        }
    }

    private void Return(CropParameters settings, Mtcnn detector) => _detectors.GetOrAdd(DetectorKey(settings), _ => []).Add(detector);

    private static async Task SummarizeAsync(RunFiles files, RunRequest request, CancellationToken cancellationToken)
    {
        var output = files.Output(request);
        var set = CropSet.Open(output);
        if (!set.IsComplete)
        {
            throw new InvalidOperationException($"{output}: shards are missing: {string.Join(", ", set.MissingRanges().Select(r => $"[{r.Start}, {r.End})"))}");
        }

        var byStatus = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var byKind = new SortedDictionary<string, (long Images, long Cropped)>(StringComparer.Ordinal);
        long multiple = 0;
        foreach (var (_, _, path) in set.Shards)
        {
            var reader = await ParquetStreamingReader.OpenAsync(path, cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                for (var g = 0; g < reader.RowGroupCount; g++)
                {
                    var statuses = (string?[])(await reader.ReadColumnAsync(g, "status", cancellationToken).ConfigureAwait(false)).Values;
                    var kinds = (string?[])(await reader.ReadColumnAsync(g, "kind", cancellationToken).ConfigureAwait(false)).Values;
                    var found = (int[])(await reader.ReadColumnAsync(g, "faces_found", cancellationToken).ConfigureAwait(false)).Values;
                    for (var i = 0; i < statuses.Length; i++)
                    {
                        var status = statuses[i] ?? "";
                        byStatus[status] = byStatus.GetValueOrDefault(status) + 1;
                        var (images, cropped) = byKind.GetValueOrDefault(kinds[i] ?? "");
                        byKind[kinds[i] ?? ""] = (images + 1, cropped + (status == CropStatus.Ok ? 1 : 0));
                        multiple += found[i] > 1 ? 1 : 0;
                    }
                }
            }
        }

        long total = set.Manifest.ImageCount;
        var detected = byStatus.GetValueOrDefault(CropStatus.Ok);
        var summary = new JsonObject
        {
            ["study"] = set.Manifest.Study,
            ["images"] = total,
            ["detected"] = detected,
            ["detection_rate"] = total == 0 ? 0 : Math.Round((double)detected / total, 6),
            ["with_several_faces"] = multiple,
            ["by_status"] = new JsonObject(byStatus.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["by_kind"] = new JsonObject(byKind.Select(p => KeyValuePair.Create(
                p.Key,
                (JsonNode?)new JsonObject { ["images"] = p.Value.Images, ["detected"] = p.Value.Cropped }))),
            ["shards"] = set.Shards.Count,
            ["run_id"] = files.RunId,
        };
        await AtomicFile.WriteJsonAsync(Path.Combine(output, "summary.json"), summary, cancellationToken).ConfigureAwait(false);
    }
}
