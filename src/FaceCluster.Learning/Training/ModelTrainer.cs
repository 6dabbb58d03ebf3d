using System.Diagnostics;
using System.Text.Json;
using FaceCluster.Learning.Data;
using FaceCluster.Learning.Model;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;
using FaceCluster.Vision;
using FaceCluster.Torch;
using FaceCluster.Torch.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Training;

/// <summary>What a training run reads and where it writes.</summary>
/// <param name="StudyFolder">The study folder (its <c>study.json</c> gives countries and concepts).</param>
/// <param name="TargetsPath">The targets table (<c>targets.parquet</c> of <c>facecluster study aggregate</c>).</param>
/// <param name="CropsFolder">The crop folder of the study (<c>facecluster crop</c>).</param>
/// <param name="ModelFolder">The model folder written.</param>
public sealed record TrainingInputs(string StudyFolder, string TargetsPath, string CropsFolder, string ModelFolder);

/// <summary>Where a training run stands.</summary>
/// <param name="Phase"><c>staging</c> (caching trunk features or pixels), <c>training</c>, <c>held-out</c> or <c>done</c>.</param>
/// <param name="Done">Units done in the phase (images read while staging, batches while training).</param>
/// <param name="Total">Units of the phase.</param>
/// <param name="Epoch">The epoch (1-based; 0 before training).</param>
/// <param name="Step">Batches trained so far.</param>
/// <param name="Loss">The last batch's training loss, or null.</param>
/// <param name="LearningRate">The last batch's learning rate, or null.</param>
/// <param name="Faces">In the <c>training</c> phase: the mimics of the batch just trained (0 otherwise), so that an
/// observer can count faces per second.</param>
public sealed record TrainingProgress(string Phase, long Done, long Total, int Epoch, long Step, double? Loss, double? LearningRate, int Faces = 0);

/// <summary>Receives progress and warnings of a training or prediction run (called on the run's thread).</summary>
public interface ITrainingObserver
{
    /// <summary>Where the run stands.</summary>
    void Progress(TrainingProgress progress);

    /// <summary>Something the user should know (for example: no backbone weights).</summary>
    void Warning(string message);
}

/// <summary>One row of <c>loss.parquet</c>.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Batch">1-based batch within the epoch.</param>
/// <param name="Step">1-based batch over the run.</param>
/// <param name="Faces">Mimics in the batch.</param>
/// <param name="TrainLoss">The batch's MSE before the step.</param>
/// <param name="LearningRate">The learning rate of the step.</param>
/// <param name="HeldOutMse">On an epoch's last batch: the held-out MSE after the epoch (null without held-out mimics).</param>
/// <param name="BaselineMse">On an epoch's last batch: the held-out MSE of the mean predictor.</param>
public sealed record LossRow(int Epoch, int Batch, long Step, int Faces, double TrainLoss, double LearningRate, double? HeldOutMse, double? BaselineMse);

/// <summary>What a training run produced.</summary>
/// <param name="ModelFolder">The model folder.</param>
/// <param name="Manifest">Its <c>model.json</c>.</param>
/// <param name="Warnings">The warnings given.</param>
public sealed record TrainingResult(string ModelFolder, ModelManifest Manifest, IReadOnlyList<string> Warnings);

/// <summary>
/// Trains the paper's model (<see cref="FaceMeaningNet"/>) on the mimics of a study: each mimic's target is its seed's
/// full row of <c>targets.parquet</c>; MSE, Adam with weight decay, StepLR per batch, a seeded held-out split by mimic.
/// </summary>
/// <remarks>
/// <para>Files in the model folder: <c>model.json</c> (<see cref="ModelManifest"/>), <c>model.pt</c> (the final
/// weights), <c>loss.parquet</c> (<see cref="LossRow"/>s), <c>split.parquet</c> (<c>image_id</c>, <c>seed_id</c>,
/// <c>split</c> = train or held_out), <c>checkpoints/</c> and <c>work/</c> (the cache; <see cref="TrainingOptions.WorkFolder"/>
/// moves it).</para>
/// <para>Determinism: the split and the epoch orders come from <see cref="SeededShuffle"/>, and torch is reseeded before
/// every batch from (seed, step), so dropout masks depend on nothing but the seed and the step. On the CPU a run is
/// repeatable bit for bit, and so is a resumed one.</para>
/// <para>Resume: a checkpoint (<c>checkpoints/step-N/</c>: the weights and Adam's state, both zip state dicts that
/// PyTorch loads (<see cref="AdamCheckpoint"/>), and
/// <c>checkpoints/latest.json</c> with the step and the loss curve so far) is written every
/// <see cref="TrainingOptions.CheckpointEveryBatches"/> batches, every <see cref="TrainingOptions.CheckpointEveryEpochs"/>
/// epochs and after the last, and when the run is cancelled.
/// With <see cref="TrainingOptions.Resume"/> a run continues after the last checkpoint's step exactly as if it had not
/// stopped (the staging cache is reused or finished, too); the settings that change the result must be the same,
/// except the number of epochs, which may grow.</para>
/// </remarks>
public static class ModelTrainer
{
    /// <summary>The checkpoint folder's name in a model folder.</summary>
    public const string CheckpointFolderName = "checkpoints";

    /// <summary>The work folder's name in a model folder.</summary>
    public const string WorkFolderName = "work";

    private const string LatestFileName = "latest.json";

    /// <summary>Trains a model; see <see cref="ModelTrainer"/>.</summary>
    /// <exception cref="InvalidInputException">Bad options or inputs; the message names the file or the setting.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (after writing a checkpoint when training had begun).</exception>
    public static Task<TrainingResult> TrainAsync(
        TrainingInputs inputs, TrainingOptions options, ITrainingObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidInputException($"training options: {string.Join("; ", problems)}");
        }

        return Task.Factory.StartNew(
            () => RunAsync(inputs, options, observer, cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();
    }

    private static async Task<TrainingResult> RunAsync(TrainingInputs inputs, TrainingOptions options, ITrainingObserver? observer, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var warnings = new List<string>();
        void Warn(string message)
        {
            warnings.Add(message);
            observer?.Warning(message);
        }

        if (!Directory.Exists(inputs.StudyFolder))
        {
            throw new InvalidInputException($"{inputs.StudyFolder}: study folder not found.");
        }

        var targets = await SeedTargets.ReadAsync(inputs.StudyFolder, inputs.TargetsPath, cancellationToken).ConfigureAwait(false);
        var crops = CropSet.Open(inputs.CropsFolder);
        if (crops.Manifest.ImageSize != InceptionResnetV1.InputSize)
        {
            throw new InvalidInputException($"{Path.Combine(inputs.CropsFolder, CropSetManifest.FileName)}: crops of {crops.Manifest.ImageSize} px; the network takes {InceptionResnetV1.InputSize} px.");
        }

        if (!FaceNormalization.IsKnown(crops.Manifest.Normalization))
        {
            throw new InvalidInputException($"{Path.Combine(inputs.CropsFolder, CropSetManifest.FileName)}: field \"normalization\": \"{crops.Manifest.Normalization}\" is not prewhiten or fixed.");
        }

        var folder = Path.GetFullPath(inputs.ModelFolder);
        var resume = PrepareModelFolder(folder, options);
        TorchRuntime.Initialize();
        var device = SelectDevice(options.Device);
        options = options with { TrunkBatchSize = TrunkBatch.For(options.TrunkBatchSize, device) };

        var manifest = new ModelManifest
        {
            Study = targets.Manifest.Name,
            Countries = targets.Manifest.Countries,
            Concepts = targets.Manifest.Concepts,
            Attributes = targets.Manifest.Attributes,
            Normalization = crops.Manifest.Normalization,
            Dropout = options.Dropout,
            BackboneWeights = options.BackboneWeights is null ? null : Path.GetFullPath(options.BackboneWeights),
            Seed = options.Seed,
            Options = options,
        };
        if (resume is null)
        {
            await manifest.WriteAsync(folder, cancellationToken).ConfigureAwait(false);
        }

        using var model = FaceMeaningNet.Create(targets.Width, SeededShuffle.TorchSeed(options.Seed, 0), options.Dropout);
        string trunkIdentity;
        if (options.BackboneWeights is { } backbone)
        {
            ModelWeights.LoadBackbone(model.Network, backbone);
            var file = new FileInfo(backbone);
            trunkIdentity = FormattableString.Invariant($"backbone {file.FullName} {file.Length} {file.LastWriteTimeUtc.Ticks}");
        }
        else
        {
            trunkIdentity = FormattableString.Invariant($"random {options.Seed}");
            Warn($"no backbone weights: the trunk is a seeded random initialisation (seed {options.Seed}), fine for tests, not for a real study; see README, \"VGGFace2 weights\".");
        }

        model.To(device);
        model.EvalMode();
        var workFolder = options.WorkFolder is { } work ? Path.GetFullPath(work) : Path.Combine(folder, WorkFolderName);
        var (samples, rows) = await SampleStaging.StageAsync(
            crops,
            targets,
            workFolder,
            options.UseCache ? model : null,
            device,
            options.CacheElement,
            crops.Manifest.Normalization,
            options.TrunkBatchSize,
            options.Threads,
            trunkIdentity,
            (done, total) => observer?.Progress(new TrainingProgress("staging", done, total, 0, 0, null, null)),
            cancellationToken).ConfigureAwait(false);
        using (rows)
        {
            if (samples.Count < 3)
            {
                throw new InvalidInputException($"{inputs.CropsFolder}: {samples.Count} mimic(s) with a crop and targets; training needs at least 3.");
            }

            foreach (var (reason, count) in samples.Skipped)
            {
                Warn($"{count} mimic(s) left out: {reason}.");
            }

            var run = new TrainingRun(model, rows, samples, targets, options, device, crops.Manifest.Normalization, observer);
            var summary = run.Train(folder, resume, watch, cancellationToken);
            await WriteSplitAsync(folder, samples, run.HeldOut, cancellationToken).ConfigureAwait(false);
            await WriteLossAsync(Path.Combine(folder, ModelManifest.LossFileName), run.Losses, cancellationToken).ConfigureAwait(false);
            ModelWeights.Save(model.Network, Path.Combine(folder, ModelManifest.WeightsFileName));
            manifest = manifest with { Training = summary };
            await manifest.WriteAsync(folder, cancellationToken).ConfigureAwait(false);
            observer?.Progress(new TrainingProgress("done", summary.Steps, summary.Steps, summary.EpochsDone, summary.Steps, summary.FinalTrainLoss, null));
            return new TrainingResult(folder, manifest, warnings);
        }
    }

    /// <summary>The device for <paramref name="requested"/> (see <see cref="TorchRuntime.SelectDevice"/>), a bad name or an absent CUDA reported as bad input.</summary>
    public static Device SelectDevice(string requested)
    {
        try
        {
            return TorchRuntime.SelectDevice(requested);
        }
        catch (ArgumentException e)
        {
            throw new InvalidInputException($"--device: {e.Message.Split(" (Parameter")[0]}");
        }
    }

    /// <summary>Writes the loss curve.</summary>
    internal static Task WriteLossAsync(string path, IReadOnlyList<LossRow> losses, CancellationToken cancellationToken) =>
        ParquetTableWriter.WriteAsync(
            path,
            [
                new ParquetColumn("epoch", losses.Select(r => r.Epoch).ToArray()),
                new ParquetColumn("batch", losses.Select(r => r.Batch).ToArray()),
                new ParquetColumn("step", losses.Select(r => r.Step).ToArray()),
                new ParquetColumn("faces", losses.Select(r => r.Faces).ToArray()),
                new ParquetColumn("train_loss", losses.Select(r => r.TrainLoss).ToArray()),
                new ParquetColumn("lr", losses.Select(r => r.LearningRate).ToArray()),
                new ParquetColumn("heldout_mse", losses.Select(r => r.HeldOutMse).ToArray()),
                new ParquetColumn("baseline_mse", losses.Select(r => r.BaselineMse).ToArray()),
            ],
            cancellationToken);

    private static Task WriteSplitAsync(string folder, StagedSamples samples, IReadOnlySet<int> heldOut, CancellationToken cancellationToken) =>
        ParquetTableWriter.WriteAsync(
            Path.Combine(folder, ModelManifest.SplitFileName),
            [
                new ParquetColumn("image_id", samples.ImageIds),
                new ParquetColumn("seed_id", samples.SeedIds),
                new ParquetColumn("split", Enumerable.Range(0, samples.Count).Select(i => heldOut.Contains(i) ? "held_out" : "train").ToArray()),
            ],
            cancellationToken);

    /// <summary>Checks the model folder; returns the checkpoint to resume from, or null to start afresh.</summary>
    private static CheckpointState? PrepareModelFolder(string folder, TrainingOptions options)
    {
        var known = new[] { ModelManifest.FileName, ModelManifest.WeightsFileName, ModelManifest.LossFileName, ModelManifest.SplitFileName, CheckpointFolderName, WorkFolderName };
        if (!Directory.Exists(folder) || !Directory.EnumerateFileSystemEntries(folder).Any())
        {
            Directory.CreateDirectory(folder);
            return null;
        }

        var isModel = File.Exists(Path.Combine(folder, ModelManifest.FileName));
        if (!isModel)
        {
            throw new InvalidInputException($"{folder}: exists, is not empty and is not a model folder (no {ModelManifest.FileName}); choose another --out.");
        }

        var latest = Path.Combine(folder, CheckpointFolderName, LatestFileName);
        if (options.Resume && File.Exists(latest))
        {
            var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(latest), AtomicFile.JsonOptions)
                ?? throw new InvalidInputException($"{latest}: empty checkpoint state.");
            if (state.Key != options.ResultKey())
            {
                throw new InvalidInputException(
                    $"{latest}: the checkpoint was trained with other settings (batch size, learning rate, weight decay, StepLR, held-out fraction, seed, dropout or backbone); resume with the same settings, or --overwrite to start again.");
            }

            return state;
        }

        if (options.Resume)
        {
            return null;
        }

        if (!options.Overwrite)
        {
            throw new InvalidInputException($"{folder}: already holds a model; --resume continues its training, --overwrite starts again.");
        }

        foreach (var name in known)
        {
            var path = Path.Combine(folder, name);
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }
        }

        return null;
    }

    /// <summary>
    /// The held-out split: the mimics' indices ordered by image id (ordinal), shuffled with the seed, the first
    /// <see cref="TrainingOptions.HeldOutFraction"/> (rounded, at least one and leaving two) held out.
    /// </summary>
    public static (int[] Train, int[] HeldOut) Split(StagedSamples samples, TrainingOptions options) =>
        TrainingRun.SplitSamples(samples, options);

    /// <summary><c>checkpoints/latest.json</c>.</summary>
    internal sealed record CheckpointState(string Key, long Step, string Folder, IReadOnlyList<LossRow> Losses);

    /// <summary>One training run over staged samples.</summary>
    private sealed class TrainingRun
    {
        private readonly FaceMeaningNet _model;
        private readonly RowFile _rows;
        private readonly StagedSamples _samples;
        private readonly TrainingOptions _options;
        private readonly Device _device;
        private readonly string _normalization;
        private readonly ITrainingObserver? _observer;
        private readonly float[][] _targets;
        private readonly int[] _train;
        private readonly int[] _heldOut;
        private readonly int _width;

        public TrainingRun(FaceMeaningNet model, RowFile rows, StagedSamples samples, SeedTargets targets, TrainingOptions options, Device device, string normalization, ITrainingObserver? observer)
        {
            _model = model;
            _rows = rows;
            _samples = samples;
            _options = options;
            _device = device;
            _normalization = normalization;
            _observer = observer;
            _width = targets.Width;
            _targets = [.. samples.SeedIds.Select(id => targets.Row(id)!)];
            (_train, _heldOut) = SplitSamples(samples, options);
            HeldOut = new HashSet<int>(_heldOut);
        }

        public IReadOnlySet<int> HeldOut { get; }

        public List<LossRow> Losses { get; } = [];

        /// <summary>The held-out indices: image ids in ordinal order, shuffled with the seed, the first fraction.</summary>
        public static (int[] Train, int[] HeldOut) SplitSamples(StagedSamples samples, TrainingOptions options)
        {
            var order = Enumerable.Range(0, samples.Count).ToArray();
            Array.Sort(order, (a, b) => string.CompareOrdinal(samples.ImageIds[a], samples.ImageIds[b]));
            SeededShuffle.Shuffle(order.AsSpan(), options.Seed, 1);
            var held = (int)Math.Round(samples.Count * options.HeldOutFraction, MidpointRounding.AwayFromZero);
            if (options.HeldOutFraction > 0)
            {
                held = Math.Clamp(held, 1, samples.Count - 2);
            }

            var heldOut = order[..held];
            var train = order[held..];
            Array.Sort(heldOut);
            Array.Sort(train);
            return (train, heldOut);
        }

        public TrainingSummary Train(string folder, CheckpointState? resume, Stopwatch watch, CancellationToken cancellationToken)
        {
            var batchSize = _options.BatchSize;
            var perEpoch = Math.Max(1, (_train.Length + batchSize - 1) / batchSize);
            if (perEpoch > 1 && _train.Length % batchSize == 1)
            {
                perEpoch--;
            }

            // Every step and evaluation runs on this thread (libtorch's thread count is per OS thread).
            TorchRuntime.UseThreads(_options.Threads);
            using var optimizer = torch.optim.Adam(_model.TrainableParameters, lr: _options.LearningRate, weight_decay: _options.WeightDecay);
            long step = 0;
            if (resume is not null)
            {
                var checkpoint = Path.Combine(folder, CheckpointFolderName, resume.Folder);
                ModelWeights.Load(_model.Network, Path.Combine(checkpoint, ModelManifest.WeightsFileName));
                var adam = Path.Combine(checkpoint, AdamCheckpoint.FileName);
                try
                {
                    AdamCheckpoint.Load(optimizer, adam);
                }
                catch (Exception e) when (e is InvalidDataException or CheckpointFormatException)
                {
                    throw new InvalidInputException($"{InvalidInputException.OneLine(e.Message)}; --overwrite starts again.");
                }
                step = resume.Step;
                Losses.AddRange(resume.Losses);
            }

            var baseline = Baseline();
            var heldOutMse = Losses.Where(r => r.HeldOutMse is not null).Select(r => r.HeldOutMse!.Value).ToList();
            var total = (long)perEpoch * _options.Epochs;
            var buffer = new byte[Math.Max(batchSize + 1, _options.TrunkBatchSize) * (long)_rows.RowBytes];
            try
            {
                for (var epoch = (int)(step / perEpoch); epoch < _options.Epochs; epoch++)
                {
                    var order = (int[])_train.Clone();
                    SeededShuffle.Shuffle(order.AsSpan(), _options.Seed, 1000 + (ulong)epoch);
                    for (var b = (int)(step - ((long)epoch * perEpoch)); b < perEpoch; b++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var start = b * batchSize;
                        var end = b == perEpoch - 1 ? order.Length : start + batchSize;
                        var batch = order.AsSpan(start, end - start);
                        var lr = _options.LearningRateAt(step);
                        foreach (var group in optimizer.ParamGroups)
                        {
                            group.LearningRate = lr;
                        }

                        double loss;
                        _model.TrainMode();
                        using (var scope = NewDisposeScope())
                        {
                            var input = HeadInput(batch, buffer);
                            var target = Targets(batch);
                            Tensor output;
                            lock (TorchRuntime.RandomGate)
                            {
                                // The dropout masks: drawn right after seeding, with no other thread's draws between.
                                torch.random.manual_seed(SeededShuffle.TorchSeed(_options.Seed, 1_000_000 + (ulong)step));
                                if (_device.type == DeviceType.CUDA)
                                {
                                    torch.cuda.manual_seed_all(SeededShuffle.TorchSeed(_options.Seed, 1_000_000 + (ulong)step));
                                }

                                output = _model.Head(input);
                            }

                            var mse = nn.functional.mse_loss(output, target);
                            optimizer.zero_grad();
                            mse.backward();
                            optimizer.step();
                            loss = mse.item<float>();
                        }

                        // A diverged loss would make every later weight NaN and the model's predictions silently NaN.
                        if (!double.IsFinite(loss))
                        {
                            throw new InvalidInputException(
                                $"train: loss.parquet: epoch {epoch + 1}, batch {b + 1}: the training loss is {InvariantText.Format(loss)}, not a finite number " +
                                "(targets too large or the learning rate too high); training stopped, no model was written");
                        }

                        step++;
                        var last = b == perEpoch - 1;
                        double? heldOut = null;
                        if (last && _heldOut.Length > 0)
                        {
                            _observer?.Progress(new TrainingProgress("held-out", 0, _heldOut.Length, epoch + 1, step, loss, lr));
                            heldOut = Evaluate(_heldOut, buffer);
                            heldOutMse.Add(heldOut.Value);
                        }

                        Losses.Add(new LossRow(epoch + 1, b + 1, step, batch.Length, loss, lr, heldOut, last ? baseline : null));
                        _observer?.Progress(new TrainingProgress("training", step, total, epoch + 1, step, loss, lr, batch.Length));
                        var epochCheckpoint = last && (epoch + 1 == _options.Epochs || (_options.CheckpointEveryEpochs > 0 && (epoch + 1) % _options.CheckpointEveryEpochs == 0));
                        if (epochCheckpoint || (!last && _options.CheckpointEveryBatches > 0 && step % _options.CheckpointEveryBatches == 0))
                        {
                            SaveCheckpoint(folder, optimizer, step);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (step > (resume?.Step ?? 0))
            {
                SaveCheckpoint(folder, optimizer, step);
                throw;
            }

            var lastEpoch = Losses.Count == 0 ? 0 : Losses[^1].Epoch;
            var epochLosses = Losses.Where(r => r.Epoch == lastEpoch).ToList();
            return new TrainingSummary(
                Complete: true,
                EpochsDone: lastEpoch,
                Steps: step,
                TrainFaces: _train.Length,
                HeldOutFaces: _heldOut.Length,
                SkippedImages: _samples.Skipped,
                HeldOutMse: heldOutMse,
                BaselineMse: baseline,
                FinalTrainLoss: epochLosses.Count == 0 ? double.NaN : epochLosses.Sum(r => r.TrainLoss * r.Faces) / epochLosses.Sum(r => r.Faces),
                Device: _device.ToString(),
                UsedCache: _options.UseCache,
                Seconds: watch.Elapsed.TotalSeconds,
                ResumedFromStep: resume?.Step ?? 0);
        }

        /// <summary>The held-out MSE of predicting the mean training target for every held-out mimic; null without held-out mimics.</summary>
        private double? Baseline()
        {
            if (_heldOut.Length == 0)
            {
                return null;
            }

            var mean = new double[_width];
            foreach (var i in _train)
            {
                for (var j = 0; j < _width; j++)
                {
                    mean[j] += _targets[i][j];
                }
            }

            for (var j = 0; j < _width; j++)
            {
                mean[j] /= _train.Length;
            }

            double sum = 0;
            foreach (var i in _heldOut)
            {
                for (var j = 0; j < _width; j++)
                {
                    var d = _targets[i][j] - mean[j];
                    sum += d * d;
                }
            }

            return sum / ((double)_heldOut.Length * _width);
        }

        /// <summary>The model's MSE on <paramref name="indices"/>, in eval mode.</summary>
        private double Evaluate(int[] indices, byte[] buffer)
        {
            _model.EvalMode();
            using var noGrad = torch.no_grad();
            double sum = 0;
            var chunk = _options.TrunkBatchSize;
            for (var start = 0; start < indices.Length; start += chunk)
            {
                using var scope = NewDisposeScope();
                var part = indices.AsSpan(start, Math.Min(chunk, indices.Length - start));
                var output = _model.Head(HeadInput(part, buffer));
                var target = Targets(part);
                sum += nn.functional.mse_loss(output, target, nn.Reduction.Sum).item<float>();
            }

            return sum / ((double)indices.Length * _width);
        }

        /// <summary>What the head takes for <paramref name="indices"/>: cached features, or the trunk's output on the pixels.</summary>
        private Tensor HeadInput(ReadOnlySpan<int> indices, byte[] buffer)
        {
            if (_options.UseCache)
            {
                _rows.Read(indices, buffer);
                return SampleStaging.Features(buffer, indices.Length, _rows.Element, _device);
            }

            var parts = new List<Tensor>();
            for (var start = 0; start < indices.Length; start += _options.TrunkBatchSize)
            {
                var part = indices.Slice(start, Math.Min(_options.TrunkBatchSize, indices.Length - start));
                _rows.Read(part, buffer);
                using var faces = SampleStaging.Faces(buffer, part.Length, _normalization);
                using var onDevice = faces.to(_device);
                parts.Add(_model.Trunk(onDevice));
            }

            if (parts.Count == 1)
            {
                return parts[0];
            }

            var joined = torch.cat(parts, 0);
            foreach (var part in parts)
            {
                part.Dispose();
            }

            return joined;
        }

        private Tensor Targets(ReadOnlySpan<int> indices)
        {
            var values = new float[indices.Length * _width];
            for (var i = 0; i < indices.Length; i++)
            {
                _targets[indices[i]].CopyTo(values, i * _width);
            }

            return torch.tensor(values, [indices.Length, _width]).to(_device);
        }

        private void SaveCheckpoint(string folder, TorchSharp.Modules.Adam optimizer, long step)
        {
            var root = Path.Combine(folder, CheckpointFolderName);
            var name = FormattableString.Invariant($"step-{step:D8}");
            var target = Path.Combine(root, name);
            Directory.CreateDirectory(target);
            ModelWeights.Save(_model.Network, Path.Combine(target, ModelManifest.WeightsFileName));
            AdamCheckpoint.Save(optimizer, _options.LearningRate, Path.Combine(target, AdamCheckpoint.FileName));
            var state = new CheckpointState(_options.ResultKey(), step, name, Losses);
            AtomicFile.WriteJsonAsync(Path.Combine(root, LatestFileName), state).GetAwaiter().GetResult();
            foreach (var old in Directory.EnumerateDirectories(root, "step-*"))
            {
                if (Path.GetFileName(old) != name)
                {
                    Directory.Delete(old, recursive: true);
                }
            }
        }
    }
}
