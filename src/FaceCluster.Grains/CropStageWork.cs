using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FaceCluster.Studies;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;
using FaceCluster.Torch;
using FaceCluster.Vision;
using Microsoft.Extensions.Options;

namespace FaceCluster.Grains;

/// <summary>
/// The stages of a crop run on one silo: <c>prepare</c> (read the images table, write or check <c>crops.json</c>),
/// <c>crop</c> (decode, detect with MTCNN, crop and write one shard per range) and <c>aggregate</c> (the detection
/// summary). One MTCNN per worker slot is kept for the silo's lifetime; a range is a pure function of the images it
/// covers and the settings, so any silo may compute it again with the same result.
/// </summary>
public sealed class CropStageWork : IDisposable
{
    private readonly FaceClusterClusterOptions _options;
    private readonly ConcurrentDictionary<string, ConcurrentBag<Mtcnn>> _detectors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<StudyImageTable>>> _tables = new(StringComparer.Ordinal);
    private int _threadsSet;

    /// <summary>Creates the silo's crop work.</summary>
    public CropStageWork(IOptions<FaceClusterClusterOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    /// <summary>Computes a range of a crop run and returns what writes its shard.</summary>
    /// <exception cref="InvalidInputException">The study cannot be cropped (the run cannot succeed).</exception>
    public Task<Func<CancellationToken, Task>> ComputeAsync(RunFiles files, RunRequest request, WorkRange range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(range);
        var settings = request.Crop ?? throw new InvalidInputException("a crop run needs its crop settings");
        Directory.CreateDirectory(files.Shards);
        return range.Stage switch
        {
            RunStages.Prepare => StageWork.Whole(PrepareAsync(files, request, settings, cancellationToken)),
            RunStages.Crop => CropAsync(files, request, settings, range.First, range.Count, cancellationToken),
            RunStages.Aggregate => StageWork.Whole(SummarizeAsync(files, request, cancellationToken)),
            _ => throw new ArgumentException($"A crop run has no stage '{range.Stage}'.", nameof(range)),
        };
    }

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
    }

    private static CropSetManifest ManifestOf(CropSettings settings, string study, string studyName, int images) => new(
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
        settings.FallbackToTableBox);

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

    private async Task PrepareAsync(RunFiles files, RunRequest request, CropSettings settings, CancellationToken cancellationToken)
    {
        var study = DataRootPaths.Resolve(files.DataRoot, request.YPath);
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

        var output = files.Output(request);
        Directory.CreateDirectory(CropSet.ShardFolder(output));
        var wanted = ManifestOf(settings, study, manifest.Name, table.Images.Count);
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

        await AtomicFile.WriteJsonAsync(files.Prepare, new StageWork.PrepareResult(table.Images.Count, 0, 0), cancellationToken).ConfigureAwait(false);
    }

    private async Task<Func<CancellationToken, Task>> CropAsync(
        RunFiles files, RunRequest request, CropSettings settings, int first, int count, CancellationToken cancellationToken)
    {
        var study = DataRootPaths.Resolve(files.DataRoot, request.YPath);
        var table = await ImagesOf(study, cancellationToken).ConfigureAwait(false);
        if (first + count > table.Images.Count)
        {
            throw new InvalidInputException($"{table.File}: has {table.Images.Count} rows, the run expects at least {first + count}; the study changed during the run");
        }

        var images = table.Images.Skip(first).Take(count).ToArray();
        var records = await Task.Factory.StartNew(
            () => CropImages(study, images, settings, cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).ConfigureAwait(false);
        var shard = files.ShardOf(request, RunStages.Crop, first, count);
        return ct => CropShard.WriteAsync(shard, records, ct);
    }

    private FaceCropRecord[] CropImages(string study, StudyImage[] images, CropSettings settings, CancellationToken cancellationToken)
    {
        var detector = Rent(settings);
        try
        {
            var records = new FaceCropRecord[images.Length];
            var maxPixels = (long)(settings.MaxMegapixels * 1_000_000);
            for (var start = 0; start < images.Length; start += settings.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = images.AsSpan(start, Math.Min(settings.BatchSize, images.Length - start)).ToArray();
                var decoded = new RgbImage?[batch.Length];
                for (var i = 0; i < batch.Length; i++)
                {
                    try
                    {
                        decoded[i] = RgbImage.Decode(Path.Combine(study, batch[i].Path!), maxPixels);
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
                    records[start + i] = Crop(batch[i], decoded[i]!, faces[j], settings);
                }
            }

            return records;
        }
        finally
        {
            Return(settings, detector);
        }
    }

    private static FaceCropRecord Failed(StudyImage image, string status, string reason) =>
        new(image.ImageId!, image.Kind!, image.SeedId ?? "", status, reason, 0, 0, 0, null, null, null, null);

    private static FaceCropRecord Crop(StudyImage image, RgbImage decoded, IReadOnlyList<FaceDetection> faces, CropSettings settings)
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
            FaceCrop.Extract(decoded, kept.Box, settings.ImageSize, settings.Margin).Span.ToArray());
    }

    private static string DetectorKey(CropSettings s) =>
        FormattableString.Invariant($"{s.MinFaceSize}|{s.PNetThreshold}|{s.RNetThreshold}|{s.ONetThreshold}|{s.ScaleFactor}|{s.Device}");

    private Mtcnn Rent(CropSettings settings)
    {
        if (Interlocked.Exchange(ref _threadsSet, 1) == 0)
        {
            // Each worker slot detects on its own; libtorch's intra-op threads share the cores between them.
            TorchRuntime.Initialize();
            TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount / _options.EffectiveWorkerSlots));
        }

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

    private void Return(CropSettings settings, Mtcnn detector) => _detectors.GetOrAdd(DetectorKey(settings), _ => []).Add(detector);

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
