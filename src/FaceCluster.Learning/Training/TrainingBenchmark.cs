using System.Diagnostics;
using FaceCluster.Learning.Data;
using FaceCluster.Learning.Model;
using FaceCluster.Studies.Crops;
using FaceCluster.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Training;

/// <summary>What <see cref="TrainingBenchmark"/> measures.</summary>
public sealed record TrainingBenchmarkOptions
{
    /// <summary><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Faces timed through the frozen trunk.</summary>
    public int TrunkFaces { get; init; } = 128;

    /// <summary>Faces per trunk forward pass.</summary>
    public int TrunkBatchSize { get; init; } = 32;

    /// <summary>Faces per training step of block8 and the head on cached features.</summary>
    public int HeadBatchSize { get; init; } = 256;

    /// <summary>Training steps timed.</summary>
    public int HeadSteps { get; init; } = 10;

    /// <summary>Outputs of the head (the paper's 6 x 48).</summary>
    public int Outputs { get; init; } = 288;

    /// <summary>Torch's intra-op threads (0: one per core).</summary>
    public int Threads { get; init; }

    /// <summary>Generated crops staged into a trunk-feature cache and timed against the bare trunk on the same crops (0 skips it).</summary>
    public int StagingFaces { get; init; } = 256;

    /// <summary>Rounds of the staging comparison (each: bare trunk and staging, in turn first).</summary>
    public int StagingRounds { get; init; } = 2;

    /// <summary>The problems with these options, one sentence each; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (TrunkFaces < 1 || TrunkBatchSize < 1)
        {
            errors.Add($"trunk faces and trunk batch size must be at least 1 (got {TrunkFaces}, {TrunkBatchSize})");
        }

        if (HeadBatchSize < 2 || HeadSteps < 1)
        {
            errors.Add($"the head batch size must be at least 2 and the steps at least 1 (got {HeadBatchSize}, {HeadSteps})");
        }

        if (Outputs < 1 || Threads < 0)
        {
            errors.Add($"outputs must be at least 1 and threads 0 or more (got {Outputs}, {Threads})");
        }

        if (StagingFaces < 0 || StagingRounds < 1)
        {
            errors.Add($"staging faces must be 0 or more and staging rounds at least 1 (got {StagingFaces}, {StagingRounds})");
        }

        return errors;
    }
}

/// <summary>Throughputs measured by <see cref="TrainingBenchmark"/>.</summary>
/// <param name="Device">Where it ran.</param>
/// <param name="Threads">Torch's intra-op threads.</param>
/// <param name="TrunkFacesPerSecond">Faces per second through the frozen trunk (eval mode, no gradients), pixels to features.</param>
/// <param name="HeadFacesPerSecond">Faces per second through a training step of block8 and the head on cached features (forward, MSE, backward, Adam).</param>
/// <param name="FullStepFacesPerSecond">Faces per second through a training step without the cache (trunk, then head), from the two figures.</param>
/// <param name="PaperRunSeconds">The paper's run (452,783 faces, 2 epochs) at these rates with the cache: trunk once, head twice.</param>
/// <param name="PaperRunSecondsWithoutCache">The same without the cache: trunk and head twice.</param>
/// <param name="Staging">The rounds of the staging comparison (empty when skipped).</param>
public sealed record TrainingBenchmarkResult(
    string Device,
    int Threads,
    double TrunkFacesPerSecond,
    double HeadFacesPerSecond,
    double FullStepFacesPerSecond,
    double PaperRunSeconds,
    double PaperRunSecondsWithoutCache,
    IReadOnlyList<StagingRound> Staging);

/// <summary>One round of the staging comparison, on the same generated crops and batches.</summary>
/// <param name="TrunkFacesPerSecond">Faces per second through the bare trunk on the crops already normalised in memory.</param>
/// <param name="StagingFacesPerSecond">Faces per second staging the cache: reading the shards, normalising, the trunk, writing.</param>
public sealed record StagingRound(double TrunkFacesPerSecond, double StagingFacesPerSecond)
{
    /// <summary>Staging's share of the bare trunk's rate.</summary>
    public double Ratio => StagingFacesPerSecond / TrunkFacesPerSecond;
}

/// <summary>
/// Times the frozen trunk and a training step of the head on random data of the real shapes, and staging of the
/// trunk-feature cache against the bare trunk on the same generated crops.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>Faces in the paper's training set.</summary>
    public const int PaperFaces = 452_783;

    /// <summary>Runs the benchmark (on a worker thread).</summary>
    /// <exception cref="Tables.InvalidInputException">Bad options or device.</exception>
    public static Task<TrainingBenchmarkResult> RunAsync(TrainingBenchmarkOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new Tables.InvalidInputException($"bench train: {string.Join("; ", problems)}");
        }

        return Task.Factory.StartNew(() => RunCoreAsync(options, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    private static async Task<TrainingBenchmarkResult> RunCoreAsync(TrainingBenchmarkOptions options, CancellationToken cancellationToken)
    {
        TorchRuntime.Initialize();
        var device = ModelTrainer.SelectDevice(options.Device);
        TorchRuntime.UseThreads(options.Threads);

        using var model = FaceMeaningNet.Create(options.Outputs, seed: 1).To(device);
        model.EvalMode();

        // Trunk: one warm-up batch, then the timed faces.
        using (var warm = randn(Math.Min(options.TrunkBatchSize, options.TrunkFaces), 3, 160, 160, device: device))
        using (var features = model.Trunk(warm))
        {
            Synchronize(device);
        }

        var watch = Stopwatch.StartNew();
        for (var done = 0; done < options.TrunkFaces; done += options.TrunkBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var faces = randn(Math.Min(options.TrunkBatchSize, options.TrunkFaces - done), 3, 160, 160, device: device);
            model.Trunk(faces);
        }

        Synchronize(device);
        var trunkRate = options.TrunkFaces / watch.Elapsed.TotalSeconds;

        // Head: random features and targets of the real shapes, two warm-up steps, then the timed steps.
        using var optimizer = torch.optim.Adam(model.TrainableParameters, lr: 1e-4, weight_decay: 1e-4);
        using var input = randn(options.HeadBatchSize, InceptionResnetV1.TrunkChannels, 3, 3, device: device);
        using var target = rand(options.HeadBatchSize, options.Outputs, device: device);
        model.TrainMode();
        void Step()
        {
            using var scope = NewDisposeScope();
            var loss = nn.functional.mse_loss(model.Head(input), target);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }

        Step();
        Step();
        Synchronize(device);
        watch.Restart();
        for (var s = 0; s < options.HeadSteps; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Step();
        }

        Synchronize(device);
        var headRate = (double)options.HeadSteps * options.HeadBatchSize / watch.Elapsed.TotalSeconds;
        var fullRate = 1 / ((1 / trunkRate) + (1 / headRate));
        model.EvalMode();
        var staging = options.StagingFaces == 0 ? [] : await CompareStagingAsync(model, device, options, cancellationToken).ConfigureAwait(false);
        return new TrainingBenchmarkResult(
            device.ToString(),
            torch.get_num_threads(),
            trunkRate,
            headRate,
            fullRate,
            (PaperFaces / trunkRate) + (2.0 * PaperFaces / headRate),
            2.0 * PaperFaces / fullRate,
            staging);
    }

    /// <summary>
    /// Generates crops, then per round times the bare trunk on them (normalised beforehand, in the batches staging makes)
    /// and staging them into a fresh cache: the same faces, batches and threads, so the ratio is staging's overhead.
    /// </summary>
    private static async Task<IReadOnlyList<StagingRound>> CompareStagingAsync(
        FaceMeaningNet model, Device device, TrainingBenchmarkOptions options, CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory("facecluster-bench-staging-").FullName;
        var batches = new List<Tensor>();
        try
        {
            var (studyFolder, targetsPath, cropsFolder) = await BenchCrops.WriteAsync(scratch, options.StagingFaces, cancellationToken).ConfigureAwait(false);
            var targets = await SeedTargets.ReadAsync(studyFolder, targetsPath, cancellationToken).ConfigureAwait(false);
            var crops = CropSet.Open(cropsFolder);
            var pending = new List<byte[]>();
            await foreach (var record in crops.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                pending.Add(record.Pixels!);
                if (pending.Count == options.TrunkBatchSize)
                {
                    batches.Add(Prepared(pending, crops.Manifest.Normalization, device));
                    pending.Clear();
                }
            }

            if (pending.Count > 0)
            {
                batches.Add(Prepared(pending, crops.Manifest.Normalization, device));
            }

            double Trunk()
            {
                Settle();
                var watch = Stopwatch.StartNew();
                foreach (var batch in batches)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    model.Trunk(batch).contiguous().cpu();
                }

                Synchronize(device);
                return options.StagingFaces / watch.Elapsed.TotalSeconds;
            }

            async Task<double> StageAsync(int round)
            {
                var work = Path.Combine(scratch, FormattableString.Invariant($"work-{round}"));
                Settle();
                var watch = Stopwatch.StartNew();
                var (samples, rows) = await SampleStaging.StageAsync(
                    crops, targets, work, model, device, RowElement.Float32, crops.Manifest.Normalization, options.TrunkBatchSize, options.Threads, "bench", null, cancellationToken)
                    .ConfigureAwait(false);
                var rate = options.StagingFaces / watch.Elapsed.TotalSeconds;
                rows.Dispose();
                if (samples.Count != options.StagingFaces)
                {
                    throw new InvalidOperationException($"staged {samples.Count} of {options.StagingFaces} generated crops");
                }

                Directory.Delete(work, recursive: true);
                return rate;
            }

            // Every other round stages first, so that neither side always runs on the heels of the other.
            var rounds = new List<StagingRound>();
            for (var round = 0; round < options.StagingRounds; round++)
            {
                if (round % 2 == 0)
                {
                    var trunkRate = Trunk();
                    rounds.Add(new StagingRound(trunkRate, await StageAsync(round).ConfigureAwait(false)));
                }
                else
                {
                    var stagingRate = await StageAsync(round).ConfigureAwait(false);
                    rounds.Add(new StagingRound(Trunk(), stagingRate));
                }
            }

            return rounds;
        }
        finally
        {
            foreach (var batch in batches)
            {
                batch.Dispose();
            }

            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>A batch normalised into torch's own memory, as the trunk's fastest input (not a pinned managed array).</summary>
    private static Tensor Prepared(List<byte[]> crops, string normalization, Device device)
    {
        using var faces = SampleStaging.Faces(crops, normalization);
        return faces.to(device, copy: true);
    }

    /// <summary>A full blocking collection before a timed phase: the garbage of the one before is not collected during it.</summary>
    private static void Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
    }

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            torch.cuda.synchronize(device);
        }
    }
}
