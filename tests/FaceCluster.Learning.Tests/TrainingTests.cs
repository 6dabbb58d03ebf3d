using FaceCluster.Learning.Data;
using FaceCluster.Learning.Model;
using FaceCluster.Learning.Prediction;
using FaceCluster.Vision;
using FaceCluster.Learning.Tests.Support;
using FaceCluster.Learning.Training;
using FaceCluster.Studies;
using FaceCluster.Tables;
using FaceCluster.Torch;
using FaceCluster.Torch.Checkpoints;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Tests;

public sealed class TrainingTests(TinyStudy study, ITestOutputHelper output)
{
    /// <summary>
    /// Settings that learn the tiny study in seconds on two cores once the trunk features are cached: more, smaller
    /// batches at a higher rate than the paper's, halved every 60 batches (the paper's StepLR would stop learning after
    /// a few epochs of 9 batches), dropout 0.2 rather than 0.6 (the paper's settings assume 452,783 faces), held-out 25%
    /// so that the held-out MSE rests on 72 mimics.
    /// </summary>
    internal static TrainingOptions Tiny => new()
    {
        Epochs = 40,
        BatchSize = 24,
        LearningRate = 1e-3,
        Dropout = 0.2,
        LearningRateStepBatches = 60,
        LearningRateGamma = 0.5,
        HeldOutFraction = 0.25,
        Device = "cpu",
        TrunkBatchSize = 32,
        CheckpointEveryBatches = 0,
        CheckpointEveryEpochs = 0,
    };

    /// <summary>Two short epochs on the 24 mimics of the small crop set.</summary>
    internal static TrainingOptions Short => Tiny with { Epochs = 2, BatchSize = 8, HeldOutFraction = 0.2, LearningRateStepBatches = 2, LearningRateGamma = 0.5 };

    private Task<TrainingResult> TrainAsync(string folder, TrainingOptions options, string? crops = null) =>
        ModelTrainer.TrainAsync(
            new TrainingInputs(study.StudyFolder, study.TargetsPath, crops ?? study.CropsFolder, folder), options, new Log(output), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Training_brings_the_held_out_mse_well_below_the_mean_predictors()
    {
        var folder = study.NewFolder("model");
        var result = await TrainAsync(folder, Tiny);
        var summary = result.Manifest.Training!;
        output.WriteLine($"baseline {summary.BaselineMse:F4}; held-out {string.Join(", ", summary.HeldOutMse.Select(m => m.ToString("F4")))}; train {summary.FinalTrainLoss:F4}");

        Assert.Equal(72, summary.HeldOutFaces);
        Assert.Equal(216, summary.TrainFaces);
        Assert.Equal(40, summary.HeldOutMse.Count);
        Assert.True(summary.HeldOutMse[^1] < 0.6 * summary.BaselineMse!.Value, $"held-out {summary.HeldOutMse[^1]:F4} vs mean predictor {summary.BaselineMse:F4}");
        Assert.Contains(result.Warnings, w => w.Contains("no backbone weights", StringComparison.Ordinal));

        // The loss curve: one row per batch (9 per epoch), held-out and baseline on each epoch's last.
        var loss = await ParquetTableReader.ReadAllAsync(Path.Combine(folder, ModelManifest.LossFileName), TestContext.Current.CancellationToken);
        Assert.Equal(["epoch", "batch", "step", "faces", "train_loss", "lr", "heldout_mse", "baseline_mse"], loss.Columns.Select(c => c.Name));
        Assert.Equal(40 * 9, loss.RowCount);
        var heldOut = (double?[])loss.FindColumn("heldout_mse")!.Values;
        Assert.Equal(40, heldOut.Count(v => v is not null));
        Assert.Equal(summary.HeldOutMse[^1], heldOut[^1]!.Value, 12);

        // The split: 288 mimics, 72 held out, by mimic.
        var split = await ParquetTableReader.ReadAllAsync(Path.Combine(folder, ModelManifest.SplitFileName), TestContext.Current.CancellationToken);
        Assert.Equal(288, split.RowCount);
        Assert.Equal(72, ((string?[])split.FindColumn("split")!.Values).Count(s => s == "held_out"));

        // Predictions on the seeds, which the model never saw: the wide format, seeds and attributes in order.
        var predictions = Path.Combine(folder, "predictions.parquet");
        var predicted = await ModelPredictor.PredictAsync(folder, study.CropsFolder, predictions, new PredictionOptions { Device = "cpu" }, null, TestContext.Current.CancellationToken);
        Assert.Equal(8, predicted.Rows);
        var table = await WideTableReader.ReadAsync(predictions, TestContext.Current.CancellationToken);
        var manifest = StudyManifest.Read(Path.Combine(study.StudyFolder, StudyManifest.FileName));
        Assert.Equal(manifest.Attributes, table.Attributes);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"S{i + 1:D5}"), table.SeedIds);
        var targets = await WideTableReader.ReadAsync(study.TargetsPath, TestContext.Current.CancellationToken);
        var errors = table.AlignTo(targets).Values.Zip(targets.Values, (p, t) => (p - t) * (p - t)).Average();
        output.WriteLine($"seed MSE {errors:F4}");
        Assert.True(errors < 0.6 * summary.BaselineMse, $"seed predictions MSE {errors:F4} vs mean predictor {summary.BaselineMse:F4}");

        // Mimics, in the per-image layout.
        var mimics = Path.Combine(folder, "mimics.parquet");
        await ModelPredictor.PredictAsync(folder, study.CropsFolder, mimics, new PredictionOptions { Device = "cpu", Kind = PredictionKind.Mimic }, null, TestContext.Current.CancellationToken);
        var mimicTable = await ParquetTableReader.ReadAllAsync(mimics, TestContext.Current.CancellationToken);
        Assert.Equal(288, mimicTable.RowCount);
        Assert.Equal(["image_id", "kind", "seed_id", .. manifest.Attributes], mimicTable.Columns.Select(c => c.Name));
    }

    [Fact]
    public async Task Training_without_the_cache_gives_the_same_model_up_to_float_error()
    {
        var cached = await TrainAsync(study.NewFolder("cached"), Short, study.SmallCropsFolder);
        var direct = await TrainAsync(study.NewFolder("direct"), Short with { UseCache = false }, study.SmallCropsFolder);

        Assert.True(cached.Manifest.Training!.UsedCache);
        Assert.False(direct.Manifest.Training!.UsedCache);
        Assert.Equal(5, cached.Manifest.Training.HeldOutFaces);
        Assert.Equal(19, cached.Manifest.Training.TrainFaces);
        Assert.Equal(cached.Manifest.Training.Steps, direct.Manifest.Training.Steps);
        Assert.Equal(cached.Manifest.Training.HeldOutMse[^1], direct.Manifest.Training.HeldOutMse[^1], 3);
        Assert.Contains(cached.Warnings, w => w.Contains("264 mimic(s) left out: no crop (no_face)", StringComparison.Ordinal));
        AssertSameWeights(cached.ModelFolder, direct.ModelFolder, 1e-3);
    }

    [Fact]
    public async Task A_resumed_run_ends_exactly_where_an_uninterrupted_one_does()
    {
        var work = study.NewFolder("work");
        var straight = await TrainAsync(study.NewFolder("straight"), Short with { WorkFolder = work }, study.SmallCropsFolder);
        var folder = study.NewFolder("resumed");
        await TrainAsync(folder, Short with { Epochs = 1, WorkFolder = work }, study.SmallCropsFolder);
        Assert.True(File.Exists(Path.Combine(folder, ModelTrainer.CheckpointFolderName, "latest.json")));
        AssertAdamStateIsPyTorchs(Path.Combine(folder, ModelTrainer.CheckpointFolderName, "step-00000003", AdamCheckpoint.FileName), steps: 3);
        var resumed = await TrainAsync(folder, Short with { Resume = true, WorkFolder = work }, study.SmallCropsFolder);

        Assert.Equal(straight.Manifest.Training!.Steps, resumed.Manifest.Training!.Steps);
        Assert.Equal(3, resumed.Manifest.Training.ResumedFromStep);
        Assert.Equal(straight.Manifest.Training.HeldOutMse, resumed.Manifest.Training.HeldOutMse);
        AssertSameWeights(straight.ModelFolder, resumed.ModelFolder, 0);

        // Other settings are refused, naming what must match; an existing model is not overwritten by accident.
        var refused = await Assert.ThrowsAsync<InvalidInputException>(() => TrainAsync(folder, Short with { Resume = true, LearningRate = 1e-2, WorkFolder = work }, study.SmallCropsFolder));
        Assert.Contains("other settings", refused.Message, StringComparison.Ordinal);
        var exists = await Assert.ThrowsAsync<InvalidInputException>(() => TrainAsync(folder, Short with { WorkFolder = work }, study.SmallCropsFolder));
        Assert.Contains("--resume", exists.Message, StringComparison.Ordinal);

        // A damaged optimizer state is named, not half-loaded.
        var adam = Directory.GetFiles(Path.Combine(folder, ModelTrainer.CheckpointFolderName), AdamCheckpoint.FileName, SearchOption.AllDirectories).Single();
        File.WriteAllBytes(adam, File.ReadAllBytes(adam)[..1000]);
        var damaged = await Assert.ThrowsAsync<InvalidInputException>(() => TrainAsync(folder, Short with { Resume = true, WorkFolder = work }, study.SmallCropsFolder));
        Assert.Contains(adam, damaged.Message, StringComparison.Ordinal);
        Assert.Contains("--overwrite", damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_training_step_and_predictions_on_CUDA_match_the_CPUs()
    {
        TorchRuntime.Initialize();
        if (!TorchRuntime.Info.CudaAvailable)
        {
            Assert.Skip("no GPU is present (torch.cuda.is_available() is false; a CUDA libtorch is loaded with FACECLUSTER_LIBTORCH): CUDA test skipped.");
        }

        // Without dropout: CPU and CUDA draw their masks from different generators.
        var options = Short with { Epochs = 1, Dropout = 0 };
        var cpu = await TrainAsync(study.NewFolder("cpu"), options, study.SmallCropsFolder);
        var cuda = await TrainAsync(study.NewFolder("cuda"), options with { Device = "cuda" }, study.SmallCropsFolder);
        Assert.StartsWith("cuda", cuda.Manifest.Training!.Device, StringComparison.Ordinal);
        AssertSameWeights(cpu.ModelFolder, cuda.ModelFolder, 1e-3);

        var fromCpu = Path.Combine(cpu.ModelFolder, "predictions.parquet");
        var fromCuda = Path.Combine(cuda.ModelFolder, "predictions-cuda.parquet");
        await ModelPredictor.PredictAsync(cpu.ModelFolder, study.CropsFolder, fromCpu, new PredictionOptions { Device = "cpu" }, null, TestContext.Current.CancellationToken);
        await ModelPredictor.PredictAsync(cpu.ModelFolder, study.CropsFolder, fromCuda, new PredictionOptions { Device = "cuda" }, null, TestContext.Current.CancellationToken);
        var a = await WideTableReader.ReadAsync(fromCpu, TestContext.Current.CancellationToken);
        var b = await WideTableReader.ReadAsync(fromCuda, TestContext.Current.CancellationToken);
        Assert.Equal(a.SeedIds, b.SeedIds);
        Assert.All(a.Values.Zip(b.Values), pair => Assert.Equal(pair.First, pair.Second, 2e-3));
    }

    [Fact]
    public void Backbone_weights_load_into_the_trunk_and_head_but_not_the_logits()
    {
        TorchRuntime.Initialize();
        var folder = study.NewFolder("backbone");
        var path = Path.Combine(folder, "vggface2-like.pt");
        manual_seed(99);
        using (var pretrained = new InceptionResnetV1(classes: 8631))
        {
            ModelWeights.Save(pretrained, path);
        }

        using var model = FaceMeaningNet.Create(12, seed: 1);
        ModelWeights.LoadBackbone(model.Network, path);
        using var saved = PyTorchCheckpoint.Read(path);
        var state = model.Network.state_dict();
        foreach (var (key, tensor) in saved)
        {
            if (key.StartsWith("logits.", StringComparison.Ordinal))
            {
                Assert.NotEqual(tensor.shape, state[key].shape);
            }
            else
            {
                Assert.True(tensor.equal(state[key]).all().item<bool>(), key);
            }
        }

        // A file that is not an InceptionResnetV1 checkpoint is refused with the keys that do not fit.
        var other = Path.Combine(folder, "other.pt");
        using (var linear = nn.Linear(3, 4))
        {
            ModelWeights.Save(linear, other);
        }

        var error = Assert.Throws<InvalidInputException>(() => ModelWeights.LoadBackbone(model.Network, other));
        Assert.Contains("conv2d_1a.conv.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_saved_model_reads_back_equal_from_the_zip_checkpoint()
    {
        TorchRuntime.Initialize();
        var path = Path.Combine(study.NewFolder("roundtrip"), "model.pt");
        using var model = FaceMeaningNet.Create(12, seed: 5);
        ModelWeights.Save(model.Network, path);
        using (var zip = File.OpenRead(path))
        {
            Assert.Equal((byte)'P', zip.ReadByte());
            Assert.Equal((byte)'K', zip.ReadByte());
        }

        using var read = PyTorchCheckpoint.Read(path);
        var state = model.Network.state_dict();
        Assert.Equal(state.Keys.Order(StringComparer.Ordinal), read.Keys.Order(StringComparer.Ordinal));
        Assert.All(state, kv => Assert.True(kv.Value.equal(read[kv.Key]).all().item<bool>(), kv.Key));

        using var copy = FaceMeaningNet.Wrap(new InceptionResnetV1(12));
        ModelWeights.Load(copy.Network, path);
        model.EvalMode();
        copy.EvalMode();
        using var faces = randn(2, 3, 160, 160);
        using var a = model.Forward(faces);
        using var b = copy.Forward(faces);
        Assert.True(a.equal(b).all().item<bool>());
    }

    [Fact]
    public void Options_explain_every_problem()
    {
        var problems = new TrainingOptions { Epochs = 0, BatchSize = 1, LearningRate = -1, HeldOutFraction = 1, Dropout = 1, BackboneWeights = "/nonexistent/weights.pt" }.Validate();
        Assert.Equal(6, problems.Count);
        Assert.Contains(problems, p => p.Contains("BatchNorm1d needs two faces", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("/nonexistent/weights.pt", StringComparison.Ordinal));
        Assert.Empty(new TrainingOptions().Validate());
        Assert.Equal(1e-4, new TrainingOptions().LearningRateAt(19), 12);
        Assert.Equal(1e-5, new TrainingOptions().LearningRateAt(20), 12);
    }

    [Fact]
    public void The_split_is_by_mimic_seeded_and_five_percent_by_default()
    {
        var ids = Enumerable.Range(0, 200).Select(i => $"m{i:D3}").ToArray();
        var samples = new StagedSamples(ids, ids, new Dictionary<string, int>());
        var (train, heldOut) = ModelTrainer.Split(samples, new TrainingOptions());
        var (_, again) = ModelTrainer.Split(samples, new TrainingOptions());
        var (_, other) = ModelTrainer.Split(samples, new TrainingOptions { Seed = 2 });
        Assert.Equal(10, heldOut.Length);
        Assert.Equal(190, train.Length);
        Assert.Equal(heldOut, again);
        Assert.NotEqual(heldOut, other);
        Assert.Empty(train.Intersect(heldOut));
    }

    [Fact]
    public void Prewhiten_and_fixed_normalisation_match_facenet_pytorch()
    {
        var pixels = new byte[160 * 160 * 3];
        new Random(1).NextBytes(pixels);
        var chw = new float[pixels.Length];
        FaceNormalization.Normalize(pixels, chw, FaceNormalization.PrewhitenMode);
        var mean = pixels.Average(p => (double)p);
        var std = Math.Sqrt(pixels.Sum(p => (p - mean) * (p - mean)) / (pixels.Length - 1));
        Assert.Equal((pixels[0] - mean) / std, chw[0], 5);
        Assert.Equal((pixels[1] - mean) / std, chw[160 * 160], 5);
        Assert.Equal(0, chw.Average(v => (double)v), 5);

        FaceNormalization.Normalize(pixels, chw, FaceNormalization.FixedMode);
        Assert.Equal((pixels[2] - 127.5) / 128, chw[2 * 160 * 160], 6);

        // A flat face: std 0, so the floor 1 / sqrt(N) applies.
        FaceNormalization.Normalize(new byte[pixels.Length], chw, FaceNormalization.PrewhitenMode);
        Assert.All(chw, v => Assert.Equal(0, v));
    }

    /// <summary>
    /// The checkpoint's optimizer.pt is torch.optim.Adam's state_dict(): for each trained parameter, in order, a float
    /// step and moments of its shape (the pickle's param_groups are checked by the checkpoint tests).
    /// </summary>
    private static void AssertAdamStateIsPyTorchs(string path, long steps)
    {
        using var model = FaceMeaningNet.Create(12, 1);
        var parameters = model.TrainableParameters;
        using var state = PyTorchCheckpoint.Read(path);
        Assert.Equal(parameters.Count * 3, state.Count);
        for (var i = 0; i < parameters.Count; i++)
        {
            Assert.Equal(ScalarType.Float32, state[$"state.{i}.step"].dtype);
            Assert.Equal(steps, (long)state[$"state.{i}.step"].item<float>());
            Assert.Equal(parameters[i].shape, state[$"state.{i}.exp_avg"].shape);
            Assert.Equal(parameters[i].shape, state[$"state.{i}.exp_avg_sq"].shape);
            Assert.True(state[$"state.{i}.exp_avg_sq"].abs().sum().item<float>() > 0, $"parameter {i} has no second moment");
        }
    }

    internal static void AssertSameWeights(string folderA, string folderB, double tolerance)
    {
        using var a = PyTorchCheckpoint.Read(Path.Combine(folderA, ModelManifest.WeightsFileName));
        using var b = PyTorchCheckpoint.Read(Path.Combine(folderB, ModelManifest.WeightsFileName));
        Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, tensor) in a)
        {
            if (tensor.dtype == ScalarType.Int64)
            {
                Assert.True(tensor.equal(b[key]).all().item<bool>(), key);
                continue;
            }

            var difference = (tensor - b[key]).abs().max().item<float>();
            var scale = Math.Max(1, tensor.abs().max().item<float>());
            Assert.True(difference <= tolerance * scale, $"{key}: differs by {difference} (scale {scale})");
        }
    }

    private sealed class Log(ITestOutputHelper output) : ITrainingObserver
    {
        private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
        private string _phase = "";

        public void Progress(TrainingProgress progress)
        {
            if (progress.Phase != _phase)
            {
                _phase = progress.Phase;
                output.WriteLine($"{_watch.Elapsed.TotalSeconds,6:F1} s {progress.Phase}");
            }
        }

        public void Warning(string message) => output.WriteLine($"warning: {message}");
    }
}
