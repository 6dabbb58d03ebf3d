using FaceCluster.Learning.Data;
using FaceCluster.Learning.Model;
using FaceCluster.Learning.Training;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;
using FaceCluster.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Prediction;

/// <summary>Which crops <see cref="ModelPredictor"/> runs the model on.</summary>
public enum PredictionKind
{
    /// <summary>The seed images: <c>predictions.parquet</c> in the wide format (<c>seed_id</c>, then the attributes).</summary>
    Seed,

    /// <summary>The mimics: <c>image_id</c>, <c>kind</c>, <c>seed_id</c>, then the attributes, one row per mimic.</summary>
    Mimic,

    /// <summary>Seeds and mimics, in the mimic layout.</summary>
    All,
}

/// <summary>How predictions are made.</summary>
public sealed record PredictionOptions
{
    /// <summary>Which crops.</summary>
    public PredictionKind Kind { get; init; } = PredictionKind.Seed;

    /// <summary><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Faces per forward pass; 0 chooses by device (<see cref="Training.TrunkBatch.For"/>).</summary>
    public int BatchSize { get; init; }

    /// <summary>Torch's intra-op threads (0: one per core).</summary>
    public int Threads { get; init; }

    /// <summary>The problems with these options, one sentence each; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (BatchSize is < 0 or > TrainingOptions.MaxTrunkBatchSize)
        {
            errors.Add($"the batch size must be 0 (by device) to {TrainingOptions.MaxTrunkBatchSize} (got {BatchSize})");
        }

        if (Threads is < 0 or > TrainingOptions.MaxThreads)
        {
            errors.Add($"threads must be 0 (one per core) to {TrainingOptions.MaxThreads} (got {Threads})");
        }

        if (!Enum.IsDefined(Kind))
        {
            errors.Add($"the kind must be seed, mimic or all (got {Kind})");
        }

        return errors;
    }
}

/// <summary>What a prediction run wrote.</summary>
/// <param name="OutputPath">The table written.</param>
/// <param name="Rows">Its rows.</param>
/// <param name="Skipped">Images of the asked kind without a crop, by status.</param>
/// <param name="Warnings">Warnings given.</param>
public sealed record PredictionResult(string OutputPath, int Rows, IReadOnlyDictionary<string, int> Skipped, IReadOnlyList<string> Warnings);

/// <summary>
/// Runs a trained model (in eval mode) on the crops of a study and writes its outputs: for the seeds (the default)
/// <c>predictions.parquet</c> in the wide format of study-format.md, the X of the PPCA.
/// </summary>
public static class ModelPredictor
{
    /// <summary>Loads the model of a model folder (<c>model.json</c> and <c>model.pt</c>) on the CPU.</summary>
    /// <exception cref="InvalidInputException">Not a model folder, or weights that do not fit the manifest.</exception>
    public static (ModelManifest Manifest, FaceMeaningNet Model) Load(string modelFolder)
    {
        var manifest = ModelManifest.Read(modelFolder);
        var weights = Path.Combine(modelFolder, ModelManifest.WeightsFileName);
        if (!File.Exists(weights))
        {
            throw new InvalidInputException($"{weights}: not found; the model's training has not finished (rerun `facecluster train` with --resume).");
        }

        TorchRuntime.Initialize();
        InceptionResnetV1 network;
        lock (TorchRuntime.RandomGate)
        {
            // Building draws initial weights (replaced by the file's) from the process-wide generator.
            network = new InceptionResnetV1(manifest.Attributes.Count, manifest.Dropout);
        }

        try
        {
            ModelWeights.Load(network, weights);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException or IOException)
        {
            network.Dispose();
            throw new InvalidInputException($"{weights}: does not load into the model of {ModelManifest.FileName}: {InvalidInputException.OneLine(e.Message)}");
        }

        return (manifest, FaceMeaningNet.Wrap(network));
    }

    /// <summary>Predicts for the crops of <paramref name="cropsFolder"/> and writes <paramref name="outputPath"/>.</summary>
    /// <exception cref="InvalidInputException">Bad options, model folder, crop folder or output path.</exception>
    public static Task<PredictionResult> PredictAsync(
        string modelFolder, string cropsFolder, string outputPath, PredictionOptions options, ITrainingObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidInputException($"prediction options: {string.Join("; ", problems)}");
        }

        if (options.Kind != PredictionKind.Seed && !HasExtension(outputPath, ".parquet"))
        {
            throw new InvalidInputException($"{outputPath}: predictions for mimics are written as .parquet.");
        }

        if (!HasExtension(outputPath, ".parquet") && !HasExtension(outputPath, ".csv"))
        {
            throw new InvalidInputException($"{outputPath}: predictions are written as .parquet (or .csv for seeds).");
        }

        return Task.Factory.StartNew(
            () => RunAsync(modelFolder, cropsFolder, outputPath, options, null, options.Kind, observer, cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// Predicts for the crops of the shards <paramref name="shards"/> (indices into the crop folder's shards) and writes a
    /// part table in the mimic layout (<c>image_id</c>, <c>kind</c>, <c>seed_id</c>, then the attributes) to
    /// <paramref name="partPath"/>; <see cref="CombinePartsAsync"/> joins the parts. Each face's output does not depend on
    /// the other faces of its batch (eval mode), so any cut into parts gives the same numbers.
    /// </summary>
    /// <exception cref="InvalidInputException">Bad options, model folder or crop folder.</exception>
    public static Task<PredictionResult> PredictShardsAsync(
        string modelFolder, string cropsFolder, IReadOnlyList<int> shards, string partPath, PredictionOptions options, ITrainingObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shards);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidInputException($"prediction options: {string.Join("; ", problems)}");
        }

        return Task.Factory.StartNew(
            () => RunAsync(modelFolder, cropsFolder, partPath, options, shards, PredictionKind.All, observer, cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// Joins part tables of <see cref="PredictShardsAsync"/> (in order) into <paramref name="outputPath"/>, in
    /// the mimic layout; returns the rows written.
    /// </summary>
    public static async Task<int> CombinePartsAsync(IReadOnlyList<string> parts, string outputPath, IReadOnlyList<string> attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(attributes);
        var ids = new List<string>();
        var kinds = new List<string>();
        var seeds = new List<string>();
        var columns = attributes.Select(_ => new List<double>()).ToArray();
        foreach (var part in parts)
        {
            var table = await ParquetTableReader.ReadAllAsync(part, cancellationToken).ConfigureAwait(false);
            ids.AddRange(((string?[])table.FindColumn("image_id")!.Values).Select(v => v ?? ""));
            kinds.AddRange(((string?[])table.FindColumn("kind")!.Values).Select(v => v ?? ""));
            seeds.AddRange(((string?[])table.FindColumn(WideTable.SeedIdColumn)!.Values).Select(v => v ?? ""));
            for (var j = 0; j < attributes.Count; j++)
            {
                columns[j].AddRange((double[])table.FindColumn(attributes[j])!.Values);
            }
        }

        var output = new List<ParquetColumn> { new("image_id", ids.ToArray()), new("kind", kinds.ToArray()), new(WideTable.SeedIdColumn, seeds.ToArray()) };
        output.AddRange(attributes.Select((a, j) => new ParquetColumn(a, columns[j].ToArray())));
        ValueChecks.RequireFiniteResult("predict", Path.GetFileName(outputPath), output);
        await ParquetTableWriter.WriteAsync(outputPath, output, cancellationToken).ConfigureAwait(false);
        return ids.Count;
    }

    /// <summary>The seed rows of a table in the mimic layout as a wide table (<c>seed_id</c>, then the attributes): the X of the PPCA.</summary>
    public static async Task<int> WriteSeedTableAsync(string mimicLayoutPath, string outputPath, IReadOnlyList<string> attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var table = await ParquetTableReader.ReadAllAsync(mimicLayoutPath, cancellationToken).ConfigureAwait(false);
        var kinds = (string?[])table.FindColumn("kind")!.Values;
        var rows = Enumerable.Range(0, kinds.Length).Where(i => kinds[i] == "seed").ToArray();
        var seeds = (string?[])table.FindColumn(WideTable.SeedIdColumn)!.Values;
        var columns = attributes.Select(a => (double[])table.FindColumn(a)!.Values).ToArray();
        var data = new double[rows.Length * attributes.Count];
        for (var r = 0; r < rows.Length; r++)
        {
            for (var j = 0; j < attributes.Count; j++)
            {
                data[(r * attributes.Count) + j] = columns[j][rows[r]];
            }
        }

        var wide = new WideTable([.. rows.Select(i => seeds[i] ?? "")], [.. attributes], data, outputPath);
        await WideTableWriter.WriteAsync(wide, outputPath, cancellationToken).ConfigureAwait(false);
        return rows.Length;
    }

    private static bool HasExtension(string path, string extension) =>
        string.Equals(Path.GetExtension(path), extension, StringComparison.OrdinalIgnoreCase);

    private static async Task<PredictionResult> RunAsync(
        string modelFolder, string cropsFolder, string outputPath, PredictionOptions options, IReadOnlyList<int>? shards, PredictionKind layout, ITrainingObserver? observer, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var crops = CropSet.Open(cropsFolder);
        if (crops.Manifest.ImageSize != InceptionResnetV1.InputSize)
        {
            throw new InvalidInputException($"{Path.Combine(cropsFolder, CropSetManifest.FileName)}: crops of {crops.Manifest.ImageSize} px; the network takes {InceptionResnetV1.InputSize} px.");
        }

        var (manifest, model) = Load(modelFolder);
        using (model)
        {
            if (crops.Manifest.Normalization != manifest.Normalization)
            {
                var message = $"the crops say {crops.Manifest.Normalization} normalisation, the model was trained with {manifest.Normalization}; using the model's.";
                warnings.Add(message);
                observer?.Warning(message);
            }

            var device = ModelTrainer.SelectDevice(options.Device);
            options = options with { BatchSize = TrunkBatch.For(options.BatchSize, device) };

            model.To(device);
            model.EvalMode();
            var width = manifest.Attributes.Count;
            var ids = new List<string>();
            var kinds = new List<string>();
            var seeds = new List<string>();
            var values = new List<float>();
            var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
            var pending = new List<byte[]>(options.BatchSize);
            long seen = 0;

            void Flush()
            {
                if (pending.Count == 0)
                {
                    return;
                }

                // Batches run on whichever thread the crop reader resumes on; libtorch's thread count is per OS thread.
                TorchRuntime.UseThreads(options.Threads);
                using var scope = NewDisposeScope();
                using var noGrad = torch.no_grad();
                var faces = SampleStaging.Faces(pending, manifest.Normalization).to(device);
                var output = model.Forward(faces).cpu().contiguous();
                values.AddRange(output.data<float>().ToArray());
                pending.Clear();
            }

            var records = shards is null ? crops.ReadAllAsync(cancellationToken) : crops.ReadShardsAsync(shards, cancellationToken);
            await foreach (var record in records.ConfigureAwait(false))
            {
                seen++;
                var wanted = options.Kind switch
                {
                    PredictionKind.Seed => record.Kind == "seed",
                    PredictionKind.Mimic => record.Kind == "mimic",
                    _ => true,
                };
                if (!wanted)
                {
                    continue;
                }

                if (!CropStatus.HasCrop(record.Status) || record.Pixels is null)
                {
                    skipped[record.Status] = skipped.GetValueOrDefault(record.Status) + 1;
                    continue;
                }

                if (record.Pixels.Length != InceptionResnetV1.InputSize * InceptionResnetV1.InputSize * 3)
                {
                    throw new InvalidInputException($"{cropsFolder}: image {record.ImageId}: the crop has {record.Pixels.Length} bytes, expected 160 x 160 x 3.");
                }

                ids.Add(record.ImageId);
                kinds.Add(record.Kind);
                seeds.Add(record.SeedId);
                pending.Add(record.Pixels);
                if (pending.Count == options.BatchSize)
                {
                    Flush();
                    observer?.Progress(new TrainingProgress("predicting", seen, crops.Manifest.ImageCount, 0, 0, null, null));
                }
            }

            Flush();
            observer?.Progress(new TrainingProgress("predicting", crops.Manifest.ImageCount, crops.Manifest.ImageCount, 0, 0, null, null));
            foreach (var (status, count) in skipped)
            {
                var message = $"{count} image(s) without a crop ({status}) have no prediction.";
                warnings.Add(message);
                observer?.Warning(message);
            }

            var data = values.Select(v => (double)v).ToArray();

            // A diverged model gives NaN predictions; they would pass silently into the PPCA as X.
            for (var i = 0; i < data.Length; i++)
            {
                if (!double.IsFinite(data[i]))
                {
                    throw new InvalidInputException(
                        $"predict: {Path.GetFileName(outputPath)}: row {(i / width) + 1}, column \"{manifest.Attributes[i % width]}\": the prediction is " +
                        $"{InvariantText.Format(data[i])}, not a finite number (the model's weights are not finite); nothing was written");
                }
            }

            if (layout == PredictionKind.Seed)
            {
                var table = new WideTable([.. seeds], [.. manifest.Attributes], data, outputPath);
                await WideTableWriter.WriteAsync(table, outputPath, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var columns = new List<ParquetColumn>
                {
                    new("image_id", ids.ToArray()),
                    new("kind", kinds.ToArray()),
                    new(WideTable.SeedIdColumn, seeds.ToArray()),
                };
                for (var j = 0; j < width; j++)
                {
                    var column = new double[ids.Count];
                    for (var i = 0; i < column.Length; i++)
                    {
                        column[i] = data[(i * width) + j];
                    }

                    columns.Add(new ParquetColumn(manifest.Attributes[j], column));
                }

                await ParquetTableWriter.WriteAsync(outputPath, columns, cancellationToken).ConfigureAwait(false);
            }

            return new PredictionResult(outputPath, ids.Count, new Dictionary<string, int>(skipped, StringComparer.Ordinal), warnings);
        }
    }
}
