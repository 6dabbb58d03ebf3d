using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceCluster.Cli.Cluster;
using FaceCluster.Cli.Progress;
using FaceCluster.Grains;
using FaceCluster.Learning.Data;
using FaceCluster.Learning.Grains;
using FaceCluster.Learning.Model;
using FaceCluster.Learning.Prediction;
using FaceCluster.Learning.Training;
using FaceCluster.Studies;
using FaceCluster.Tables;
using FaceCluster.Torch;
using Spectre.Console;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// The DNN: <c>facecluster train</c> (the paper's model on the mimics of a study), <c>facecluster predict</c> (its outputs
/// on the seeds: predictions.parquet), <c>facecluster model describe</c> and <c>facecluster bench train</c>. Training and
/// prediction run on a trainer grain of an embedded cluster, or of a running one with <c>--cluster</c> (placed on a gpu
/// silo where there is one), or in this process with <c>--in-process</c>.
/// </summary>
internal static class LearningCommands
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the job may not answer before the command gives up (a silo death takes seconds to detect).</summary>
    private static readonly TimeSpan LostContactLimit = TimeSpan.FromMinutes(5);

    /// <summary>Builds <c>train</c>.</summary>
    public static Command CreateTrain(CliContext context)
    {
        var study = new Argument<string>("STUDY") { Description = "The study folder (study.json gives the countries and concepts)." };
        var crops = new Option<string>("--crops") { Description = "The study's crop folder (facecluster crop).", Required = true, HelpName = "DIR" };
        var output = new Option<string>("--out") { Description = "The model folder to write (model.json, model.pt, loss.parquet, split.parquet, checkpoints/, work/).", Required = true, HelpName = "MODEL" };
        var targets = new Option<string?>("--targets") { Description = "The targets table [default: STUDY/targets.parquet, as written by `facecluster study aggregate`].", HelpName = "FILE" };
        var backbone = new Option<string?>("--backbone-weights") { Description = "facenet-pytorch's InceptionResnetV1 checkpoint (20180402-114759-vggface2.pt) for the trunk; without it the trunk is a seeded random initialisation.", HelpName = "PATH" };
        var defaults = new TrainingOptions();
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training mimics.", DefaultValueFactory = _ => defaults.Epochs, HelpName = "N" };
        var batch = new Option<int>("--batch-size") { Description = "Mimics per batch.", DefaultValueFactory = _ => defaults.BatchSize, HelpName = "N" };
        var lr = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Adam's weight decay.", DefaultValueFactory = _ => defaults.WeightDecay };
        var lrStep = new Option<int>("--lr-step") { Description = "StepLR: batches between learning-rate decays.", DefaultValueFactory = _ => defaults.LearningRateStepBatches, HelpName = "N" };
        var lrGamma = new Option<double>("--lr-gamma") { Description = "StepLR: the decay factor.", DefaultValueFactory = _ => defaults.LearningRateGamma };
        var heldOut = new Option<double>("--held-out") { Description = "Fraction of mimics held out (seeded, by mimic) and reported.", DefaultValueFactory = _ => defaults.HeldOutFraction };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the split, the shuffles, the dropout masks and a random trunk.", DefaultValueFactory = _ => defaults.Seed };
        var dropout = new Option<double>("--dropout") { Description = "Dropout before last_linear.", DefaultValueFactory = _ => defaults.Dropout };
        var device = DeviceOption();
        var noCache = new Option<bool>("--no-cache") { Description = "Train through the whole network for every batch instead of on the cached trunk output (same result up to float error, much slower)." };
        var cacheDtype = new Option<string>("--cache-dtype") { Description = "How cached trunk features are stored: float32 or float16 (half the disk).", DefaultValueFactory = _ => "float32" };
        var trunkBatch = new Option<int>("--trunk-batch") { Description = "Faces per forward pass of the frozen trunk (0: 32 on the CPU, 256 on CUDA).", DefaultValueFactory = _ => defaults.TrunkBatchSize, HelpName = "N" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "A checkpoint every N batches (0: only at epoch ends).", DefaultValueFactory = _ => defaults.CheckpointEveryBatches, HelpName = "N" };
        var checkpointEpochs = new Option<int>("--checkpoint-every-epochs") { Description = "A checkpoint at the end of every N epochs (0: only after the last and on Ctrl+C).", DefaultValueFactory = _ => defaults.CheckpointEveryEpochs, HelpName = "N" };
        var work = new Option<string?>("--work") { Description = "Where the trunk-feature cache goes [default: MODEL/work].", HelpName = "DIR" };
        var resume = new Option<bool>("--resume") { Description = "Continue from MODEL's last checkpoint (same settings; more epochs allowed)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the model in MODEL." };
        var threads = ThreadsOption();
        var inProcess = InProcessOption();
        var cluster = ClusterOption();
        var command = new Command("train", "Train the paper's DNN (facenet-pytorch InceptionResnetV1, trunk frozen, block8 and head trained) to predict each mimic's seed targets.")
        {
            study, crops, output, targets, backbone, epochs, batch, lr, weightDecay, lrStep, lrGamma, heldOut, seed, dropout, device, noCache, cacheDtype, trunkBatch, checkpointEvery, checkpointEpochs, work, resume, overwrite, threads, inProcess, cluster,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var studyFolder = parseResult.GetRequiredValue(study);
            var options = new TrainingOptions
            {
                Epochs = parseResult.GetValue(epochs),
                BatchSize = parseResult.GetValue(batch),
                LearningRate = parseResult.GetValue(lr),
                WeightDecay = parseResult.GetValue(weightDecay),
                LearningRateStepBatches = parseResult.GetValue(lrStep),
                LearningRateGamma = parseResult.GetValue(lrGamma),
                HeldOutFraction = parseResult.GetValue(heldOut),
                Seed = parseResult.GetValue(seed),
                Dropout = parseResult.GetValue(dropout),
                Device = parseResult.GetRequiredValue(device),
                UseCache = !parseResult.GetValue(noCache),
                CacheElement = parseResult.GetRequiredValue(cacheDtype) switch
                {
                    "float32" => RowElement.Float32,
                    "float16" => RowElement.Float16,
                    var other => throw new InvalidInputException($"--cache-dtype: expected float32 or float16 (got {other})"),
                },
                TrunkBatchSize = parseResult.GetValue(trunkBatch),
                CheckpointEveryBatches = parseResult.GetValue(checkpointEvery),
                CheckpointEveryEpochs = parseResult.GetValue(checkpointEpochs),
                BackboneWeights = parseResult.GetValue(backbone),
                WorkFolder = parseResult.GetValue(work),
                Resume = parseResult.GetValue(resume),
                Overwrite = parseResult.GetValue(overwrite),
                Threads = parseResult.GetValue(threads),
            };
            var inputs = new TrainingInputs(
                studyFolder,
                parseResult.GetValue(targets) ?? Path.Combine(studyFolder, StudyAggregation.TargetsFile),
                parseResult.GetRequiredValue(crops),
                parseResult.GetRequiredValue(output));
            return TrainAsync(context, inputs, options, Placement(parseResult.GetValue(inProcess), parseResult.GetValue(cluster)), cancellationToken);
        });
        return command;
    }

    /// <summary>Builds <c>predict</c>.</summary>
    public static Command CreatePredict(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "The model folder (facecluster train).", Required = true, HelpName = "MODEL" };
        var crops = new Option<string>("--crops") { Description = "The crop folder.", Required = true, HelpName = "DIR" };
        var output = new Option<string>("--out") { Description = "The table to write: predictions.parquet (or .csv for seeds).", Required = true, HelpName = "FILE" };
        var kind = new Option<string>("--kind") { Description = "seed: the wide predictions table (seed_id, then one column per attribute); mimic or all: one row per image (image_id, kind, seed_id, attributes).", DefaultValueFactory = _ => "seed" };
        var batch = new Option<int>("--batch-size") { Description = "Faces per forward pass (0: 32 on the CPU, 256 on CUDA).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var device = DeviceOption();
        var threads = ThreadsOption();
        var inProcess = InProcessOption();
        var cluster = ClusterOption();
        var command = new Command("predict", "Run a trained model on the crops of a study: its outputs for each seed are the X of the PPCA.")
        {
            model, crops, output, kind, batch, device, threads, inProcess, cluster,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var options = new PredictionOptions
            {
                Kind = parseResult.GetRequiredValue(kind) switch
                {
                    "seed" => PredictionKind.Seed,
                    "mimic" => PredictionKind.Mimic,
                    "all" => PredictionKind.All,
                    var other => throw new InvalidInputException($"--kind: expected seed, mimic or all (got {other})"),
                },
                BatchSize = parseResult.GetValue(batch),
                Device = parseResult.GetRequiredValue(device),
                Threads = parseResult.GetValue(threads),
            };
            return PredictAsync(
                context, parseResult.GetRequiredValue(model), parseResult.GetRequiredValue(crops), parseResult.GetRequiredValue(output), options, Placement(parseResult.GetValue(inProcess), parseResult.GetValue(cluster)), cancellationToken);
        });
        return command;
    }

    /// <summary>Builds <c>model describe</c>.</summary>
    public static Command CreateModel(CliContext context)
    {
        var model = new Option<string?>("--model") { Description = "A model folder [default: the paper's model, 6 countries x 48 concepts, randomly initialised].", HelpName = "MODEL" };
        var outputs = new Option<int>("--outputs") { Description = "Outputs of the model described without --model.", DefaultValueFactory = _ => 288, HelpName = "N" };
        var describe = new Command("describe", "The model's modules, parameter counts, which are frozen, and its state-dict keys (facenet-pytorch's names).") { model, outputs };
        describe.SetAction(async (parseResult, cancellationToken) =>
        {
            var folder = parseResult.GetValue(model);
            var count = parseResult.GetValue(outputs);
            if (count < 1)
            {
                throw new InvalidInputException($"--outputs must be at least 1 (got {count})");
            }

            TorchRuntime.Initialize();
            FaceMeaningNet net;
            string title;
            if (folder is null)
            {
                net = FaceMeaningNet.Create(count, seed: 1);
                title = $"FaceMeaningNet: InceptionResnetV1(classify=True, num_classes={count}), trunk frozen before block8 (no weights: --model names a trained one)";
            }
            else
            {
                (var manifest, net) = ModelPredictor.Load(folder);
                title = $"{folder}: study {manifest.Study}, {manifest.Countries.Count} countries x {manifest.Concepts.Count} concepts = {manifest.Attributes.Count} outputs, normalisation {manifest.Normalization}, backbone {manifest.BackboneWeights ?? "random"}";
            }

            using (net)
            {
                await WriteDescriptionAsync(context, title, ModelDescription.Of(net)).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return new Command("model", "Inspect the DNN.") { describe };
    }

    /// <summary>Builds <c>bench train</c>.</summary>
    public static Command CreateBench(CliContext context)
    {
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" };
        var trunkFaces = new Option<int>("--trunk-faces") { Description = "Faces timed through the frozen trunk.", DefaultValueFactory = _ => 128, HelpName = "N" };
        var trunkBatch = new Option<int>("--trunk-batch") { Description = "Faces per trunk forward pass.", DefaultValueFactory = _ => 32, HelpName = "N" };
        var headBatch = new Option<int>("--batch-size") { Description = "Faces per training step of the head on cached features.", DefaultValueFactory = _ => 256, HelpName = "N" };
        var steps = new Option<int>("--steps") { Description = "Training steps timed.", DefaultValueFactory = _ => 10, HelpName = "N" };
        var stagingFaces = new Option<int>("--staging-faces") { Description = "Generated crops staged into a trunk-feature cache, timed against the bare trunk on the same crops (0 skips it).", DefaultValueFactory = _ => 256, HelpName = "N" };
        var stagingRounds = new Option<int>("--staging-rounds") { Description = "Rounds of that comparison (each: bare trunk and staging, in turn first).", DefaultValueFactory = _ => 2, HelpName = "N" };
        var threads = ThreadsOption();
        var command = new Command("train", "Faces per second through the frozen trunk, through a training step of block8 and the head on cached features, and staging the cache against the bare trunk.")
        {
            device, trunkFaces, trunkBatch, headBatch, steps, stagingFaces, stagingRounds, threads,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new TrainingBenchmarkOptions
            {
                Device = parseResult.GetRequiredValue(device),
                TrunkFaces = parseResult.GetValue(trunkFaces),
                TrunkBatchSize = parseResult.GetValue(trunkBatch),
                HeadBatchSize = parseResult.GetValue(headBatch),
                HeadSteps = parseResult.GetValue(steps),
                StagingFaces = parseResult.GetValue(stagingFaces),
                StagingRounds = parseResult.GetValue(stagingRounds),
                Threads = parseResult.GetValue(threads),
            };
            var output = context.Output;
            await output.WriteLineAsync(Invariant($"bench train: {options.Device}, {Environment.ProcessorCount} core(s), torch {TorchRuntime.Info.TorchVersion}; trunk {options.TrunkFaces} faces in batches of {options.TrunkBatchSize}, head {options.HeadSteps} steps of {options.HeadBatchSize} (288 outputs)")).ConfigureAwait(false);
            var result = await TrainingBenchmark.RunAsync(options, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"device {result.Device}, {result.Threads} torch thread(s)")).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"frozen trunk (160 px to 1792 x 3 x 3, eval, no grad)     {result.TrunkFacesPerSecond,10:F1} faces/s")).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"training step of block8 + head on cached features     {result.HeadFacesPerSecond,10:F1} faces/s   ({result.HeadFacesPerSecond / result.TrunkFacesPerSecond:F1}x the trunk)")).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"training step without the cache (trunk + head)        {result.FullStepFacesPerSecond,10:F1} faces/s")).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"the paper's run (452,783 faces, 2 epochs): {Duration(result.PaperRunSeconds)} with the cache (trunk once, head twice), {Duration(result.PaperRunSecondsWithoutCache)} without")).ConfigureAwait(false);
            await output.WriteLineAsync("reference: PyTorch on one H100 trains it (trunk frozen, batch 1024) at 13,400 faces/s fp32, 21,000 bf16; ~1.1 min for the 2 epochs").ConfigureAwait(false);
            if (result.Staging.Count > 0)
            {
                // The shared machine's load moves every figure; the ratio within a round is what compares across runs.
                await output.WriteLineAsync(Invariant($"staging the cache vs the bare trunk, same {options.StagingFaces} generated crops in batches of {options.TrunkBatchSize}:")).ConfigureAwait(false);
                for (var i = 0; i < result.Staging.Count; i++)
                {
                    var round = result.Staging[i];
                    await output.WriteLineAsync(Invariant($"  round {i + 1}: bare trunk {round.TrunkFacesPerSecond,8:F1} faces/s   staging {round.StagingFacesPerSecond,8:F1} faces/s   ratio {round.Ratio:F3}")).ConfigureAwait(false);
                }

                var trunk = result.Staging.Sum(r => 1 / r.TrunkFacesPerSecond);
                var staged = result.Staging.Sum(r => 1 / r.StagingFacesPerSecond);
                await output.WriteLineAsync(Invariant($"  all rounds: bare trunk {result.Staging.Count / trunk,8:F1} faces/s   staging {result.Staging.Count / staged,8:F1} faces/s   ratio {trunk / staged:F3}   load average (1 min) {LoadAverage()}")).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The 1-minute load average, or "n/a" where <c>/proc/loadavg</c> is absent.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static async Task<int> TrainAsync(CliContext context, TrainingInputs inputs, TrainingOptions options, JobPlacement placement, CancellationToken cancellationToken)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidInputException($"train: {string.Join("; ", problems)}");
        }

        if (!Directory.Exists(inputs.StudyFolder))
        {
            throw new InvalidInputException($"{inputs.StudyFolder}: study folder not found.");
        }

        string summaryJson;
        if (placement.InProcess)
        {
            var result = await WithProgressAsync(context, observer => ModelTrainer.TrainAsync(inputs, options, observer, cancellationToken)).ConfigureAwait(false);
            summaryJson = JsonSerializer.Serialize(result.Manifest.Training, AtomicFile.JsonOptions);
        }
        else
        {
            var model = Path.GetFullPath(inputs.ModelFolder);
            Directory.CreateDirectory(model);
            if (options.BackboneWeights is null)
            {
                await context.Error.WriteLineAsync("warning: no backbone weights (--backbone-weights): the trunk is a seeded random initialisation, not facenet-pytorch's VGGFace2 weights").ConfigureAwait(false);
            }

            var onCluster = EmbeddedRun.ClusterAddress(placement.Cluster) is not null;
            await EmbeddedRun.RunAsync(
                context,
                new Execution(false, placement.DataRoot, placement.Cluster),
                0,
                TrainRunKind.KindName,
                (root, runId, _) =>
                {
                    return Task.FromResult(RunParameters.Request(TrainRunKind.KindName, EmbeddedRun.Reference(root, RunPaths.Inputs(runId), model, "model", onCluster), new TrainParameters
                    {
                        Study = EmbeddedRun.Reference(root, RunPaths.Inputs(runId), Path.GetFullPath(inputs.StudyFolder), "study", onCluster),
                        Targets = EmbeddedRun.Reference(root, RunPaths.Inputs(runId), Path.GetFullPath(inputs.TargetsPath), "targets.parquet", onCluster),
                        Crops = EmbeddedRun.Reference(root, RunPaths.Inputs(runId), Path.GetFullPath(inputs.CropsFolder), "crops", onCluster),
                        Options = options with
                        {
                            BackboneWeights = options.BackboneWeights is null ? null : Path.GetFullPath(options.BackboneWeights),
                            WorkFolder = options.WorkFolder is null ? null : Path.GetFullPath(options.WorkFolder),
                        },
                    }));
                },
                stagingFolder: null,
                cancellationToken).ConfigureAwait(false);
            summaryJson = ModelManifest.Read(model).Training is { } training ? JsonSerializer.Serialize(training, AtomicFile.JsonOptions) : "{}";

        }

        var summary = JsonSerializer.Deserialize<TrainingSummary>(summaryJson, AtomicFile.JsonOptions)!;
        var heldOut = summary.HeldOutMse.Count > 0 ? Invariant($"{summary.HeldOutMse[^1]:F5}") : "n/a";
        var baseline = summary.BaselineMse is { } b ? Invariant($"{b:F5}") : "n/a";
        await context.Output.WriteLineAsync(Invariant(
            $"trained {summary.EpochsDone} epoch(s), {summary.Steps} batches on {summary.TrainFaces} mimics ({summary.Device}, {(summary.UsedCache ? "cached trunk" : "no cache")}, {summary.Seconds:F1} s); held-out MSE {heldOut} on {summary.HeldOutFaces} mimics vs mean predictor {baseline}; final train loss {summary.FinalTrainLoss:F5}")).ConfigureAwait(false);
        await context.Output.WriteLineAsync($"model: {Path.GetFullPath(inputs.ModelFolder)}").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static async Task<int> PredictAsync(
        CliContext context, string model, string crops, string output, PredictionOptions options, JobPlacement placement, CancellationToken cancellationToken)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidInputException($"predict: {string.Join("; ", problems)}");
        }

        // Refuse a bad model folder before any work.
        ModelManifest.Read(model);
        int rows;
        if (placement.InProcess)
        {
            var result = await WithProgressAsync(context, observer => ModelPredictor.PredictAsync(model, crops, output, options, observer, cancellationToken)).ConfigureAwait(false);
            rows = result.Rows;
        }
        else
        {
            rows = await PredictThroughClusterAsync(context, model, crops, output, options, placement, cancellationToken).ConfigureAwait(false);
        }

        await context.Output.WriteLineAsync(Invariant($"predictions for {rows} image(s): {Path.GetFullPath(output)}")).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// Runs a <c>predict</c> run on the embedded cluster (or the one <paramref name="placement"/> names) into a folder, then
    /// writes its table to <paramref name="output"/> (Parquet, or CSV for seeds); returns the rows.
    /// </summary>
    private static async Task<int> PredictThroughClusterAsync(
        CliContext context, string model, string crops, string output, PredictionOptions options, JobPlacement placement, CancellationToken cancellationToken)
    {
        var target = Path.GetFullPath(output);
        var onCluster = EmbeddedRun.ClusterAddress(placement.Cluster) is not null;
        var staging = Directory.CreateTempSubdirectory("facecluster-predict-").FullName;
        try
        {
            await EmbeddedRun.RunAsync(
                context,
                new Execution(false, placement.DataRoot, placement.Cluster),
                0,
                PredictRunKind.KindName,
                (root, runId, _) => Task.FromResult(RunParameters.Request(PredictRunKind.KindName, RunPaths.Output(runId), new PredictParameters
                {
                    Model = EmbeddedRun.Reference(root, RunPaths.Inputs(runId), Path.GetFullPath(model), "model", onCluster),
                    Crops = EmbeddedRun.Reference(root, RunPaths.Inputs(runId), Path.GetFullPath(crops), "crops", onCluster),
                    Options = options,
                })),
                staging,
                cancellationToken).ConfigureAwait(false);
            var produced = Path.Combine(staging, PredictRunKind.PredictionsFile);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (string.Equals(Path.GetExtension(target), ".csv", StringComparison.OrdinalIgnoreCase))
            {
                var table = await WideTableReader.ReadAsync(produced, cancellationToken).ConfigureAwait(false);
                await WideTableWriter.WriteAsync(table, target, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                File.Copy(produced, target, overwrite: true);
            }

            using var summary = await EmbeddedRun.ReadSummaryAsync(staging, cancellationToken).ConfigureAwait(false);
            return summary.RootElement.GetProperty("rows").GetInt32();
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    private static async Task WriteDescriptionAsync(CliContext context, string title, ModelDescription description)
    {
        var console = context.CreateOutputConsole(160);
        console.WriteLine(title);
        var table = new Table().AddColumns("module", "type", "parameters", "frozen", "state-dict entries");
        foreach (var module in description.Modules)
        {
            table.AddRow(
                Markup.Escape(module.Name),
                Markup.Escape(module.Type),
                module.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                module.Frozen ? "yes" : "no (trained)",
                module.Keys.Count.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(table);
        console.WriteLine(Invariant($"parameters: {description.Parameters:N0} ({description.TrainableParameters:N0} trained, {description.Parameters - description.TrainableParameters:N0} frozen); state dict: {description.StateDictEntries} tensors; outputs: {description.Outputs}"));
        console.WriteLine("state-dict keys (facenet-pytorch's names):");
        foreach (var key in description.Modules.SelectMany(m => m.Keys))
        {
            await context.Output.WriteLineAsync(key).ConfigureAwait(false);
        }
    }

    private static Option<string> DeviceOption() =>
        new("--device") { Description = "auto (CUDA when available, else CPU), cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };

    private static Option<int> ThreadsOption() =>
        new("--threads") { Description = "Torch's intra-op threads (0: one per core).", DefaultValueFactory = _ => 0, HelpName = "N" };

    private static Option<bool> InProcessOption() =>
        new("--in-process") { Description = "Run in this process instead of on a trainer grain of an embedded cluster (same results)." };

    private static Option<string?> ClusterOption() =>
        new("--cluster")
        {
            Description = $"Run on a trainer grain of a running cluster (a gpu silo when it has one): redis://HOST:PORT/CLUSTER_ID [default: ${EmbeddedRun.ClusterVariable}]. Its silos must see the study, crops and output at the same paths.",
            HelpName = "ADDRESS",
        };

    /// <summary>Where a job runs: in this process, on the named cluster, else on an embedded one.</summary>
    private static JobPlacement Placement(bool inProcess, string? cluster)
    {
        var address = EmbeddedRun.ClusterAddress(cluster);
        if (inProcess && cluster is not null)
        {
            throw new InvalidInputException("--in-process and --cluster exclude each other: run here, or on the cluster");
        }

        return new JobPlacement(inProcess, inProcess ? null : address);
    }

    /// <summary>Where a learning job runs.</summary>
    private sealed record JobPlacement(bool InProcess, string? Cluster, string? DataRoot = null);

    private static string Duration(double seconds) =>
        seconds < 120 ? Invariant($"{seconds:F0} s") : seconds < 7200 ? Invariant($"{seconds / 60:F1} min") : Invariant($"{seconds / 3600:F1} h");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Runs <paramref name="run"/> with its phases shown as progress steps until it ends.</summary>
    internal static Task<T> WithProgressAsync<T>(CliContext context, Func<ITrainingObserver, Task<T>> run) =>
        context.Progress.RunAsync(async reporter =>
        {
            using var observer = new ProgressObserver(context, reporter);
            return await run(observer).ConfigureAwait(false);
        });

    /// <summary>Shows a run's phases as progress steps and its warnings on standard error.</summary>
    private sealed class ProgressObserver(CliContext context, IProgressReporter reporter) : ITrainingObserver, IDisposable
    {
        private readonly Lock _gate = new();
        private IProgressStep? _step;
        private string _phase = "";
        private long _done;

        public void Progress(TrainingProgress progress)
        {
            lock (_gate)
            {
                if (progress.Phase is "held-out" or "done")
                {
                    return;
                }

                if (progress.Phase != _phase && progress.Total > 0)
                {
                    _step?.Dispose();
                    _phase = progress.Phase;
                    _step = reporter.Start(progress.Phase, progress.Total);
                    _done = 0;
                }

                if (_step is not null && progress.Done > _done)
                {
                    _step.Advance(progress.Done - _done);
                    _done = progress.Done;
                }
            }
        }

        public void Warning(string message)
        {
            lock (_gate)
            {
                context.Error.WriteLine($"warning: {message}");
            }
        }

        public void Dispose() => _step?.Dispose();
    }
}
