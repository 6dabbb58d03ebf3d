using System.Diagnostics;
using FaceCluster.Learning.Model;
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

    /// <summary>Torch's intra-op threads (0: torch's default).</summary>
    public int Threads { get; init; }

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
public sealed record TrainingBenchmarkResult(
    string Device, int Threads, double TrunkFacesPerSecond, double HeadFacesPerSecond, double FullStepFacesPerSecond, double PaperRunSeconds, double PaperRunSecondsWithoutCache);

/// <summary>Times the frozen trunk and a training step of the head on random data of the real shapes.</summary>
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

        return Task.Factory.StartNew(() => Run(options, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static TrainingBenchmarkResult Run(TrainingBenchmarkOptions options, CancellationToken cancellationToken)
    {
        TorchRuntime.Initialize();
        var device = ModelTrainer.SelectDevice(options.Device);
        if (options.Threads > 0)
        {
            torch.set_num_threads(options.Threads);
        }

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
        return new TrainingBenchmarkResult(
            device.ToString(),
            torch.get_num_threads(),
            trunkRate,
            headRate,
            fullRate,
            (PaperFaces / trunkRate) + (2.0 * PaperFaces / headRate),
            2.0 * PaperFaces / fullRate);
    }

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            torch.cuda.synchronize(device);
        }
    }
}
