using FaceCluster.Learning.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Training;

/// <summary>
/// How the model is trained. The defaults are the paper's: MSE, Adam (lr 1e-4, weight decay 1e-4), StepLR (gamma 0.1
/// every 20 batches), batch 1024, 2 epochs, a seeded 5% of mimics held out, Dropout(0.6), the trunk frozen and its
/// output cached.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training mimics.</summary>
    public int Epochs { get; init; } = 2;

    /// <summary>Mimics per training batch (a last batch of one is joined to the one before: BatchNorm1d needs two).</summary>
    public int BatchSize { get; init; } = 1024;

    /// <summary>Adam's learning rate at the start.</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>Adam's weight decay (L2, as <c>torch.optim.Adam(weight_decay=...)</c>).</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>StepLR's step: the learning rate is multiplied by <see cref="LearningRateGamma"/> every this many batches.</summary>
    public int LearningRateStepBatches { get; init; } = 20;

    /// <summary>StepLR's factor.</summary>
    public double LearningRateGamma { get; init; } = 0.1;

    /// <summary>The fraction of mimics held out (by mimic, seeded) and reported; 0 holds out none.</summary>
    public double HeldOutFraction { get; init; } = 0.05;

    /// <summary>
    /// The seed of the held-out split, the epoch shuffles, the dropout masks (one torch seed per batch) and, without
    /// backbone weights, the trunk's random initialisation.
    /// </summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Dropout probability before <c>last_linear</c>.</summary>
    public double Dropout { get; init; } = 0.6;

    /// <summary><c>auto</c> (CUDA when available, else CPU), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>
    /// Whether the frozen trunk's output is computed once per crop and cached on disk (the default); without, every
    /// batch goes through the whole network, with the same result up to float error.
    /// </summary>
    public bool UseCache { get; init; } = true;

    /// <summary>How cached trunk features are stored: <see cref="RowElement.Float32"/> or <see cref="RowElement.Float16"/>.</summary>
    public RowElement CacheElement { get; init; } = RowElement.Float32;

    /// <summary>
    /// Faces per forward pass of the frozen trunk (caching, held-out loss, no-cache training chunks); 0 chooses by device
    /// (<see cref="TrunkBatch.For"/>).
    /// </summary>
    public int TrunkBatchSize { get; init; }

    /// <summary>A checkpoint every this many batches (0: none within epochs).</summary>
    public int CheckpointEveryBatches { get; init; } = 100;

    /// <summary>A checkpoint at the end of every this many epochs (0: none at epoch ends; cancelling still writes one).</summary>
    public int CheckpointEveryEpochs { get; init; } = 1;

    /// <summary>A facenet-pytorch InceptionResnetV1 checkpoint (for example 20180402-114759-vggface2.pt); null for a seeded random trunk.</summary>
    public string? BackboneWeights { get; init; }

    /// <summary>Where the cache goes; null for the model folder's <c>work/</c>.</summary>
    public string? WorkFolder { get; init; }

    /// <summary>Continue from the model folder's last checkpoint when it has one for the same settings.</summary>
    public bool Resume { get; init; }

    /// <summary>Replace an existing model folder (ignored with <see cref="Resume"/> when a checkpoint is there).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Torch's intra-op threads (0: one per core).</summary>
    public int Threads { get; init; }

    /// <summary>Most epochs a request may ask for (the paper trains 2).</summary>
    public const int MaxEpochs = 1000;

    /// <summary>Largest training batch (the paper's is 1024).</summary>
    public const int MaxBatchSize = 65_536;

    /// <summary>Largest trunk forward pass.</summary>
    public const int MaxTrunkBatchSize = 4096;

    /// <summary>Largest step, in batches, of the learning-rate schedule or the checkpoints.</summary>
    public const int MaxBatchCount = 10_000_000;

    /// <summary>Most torch threads: far more exhaust the silo (100000 overflowed the stack in batch norm).</summary>
    public const int MaxThreads = 512;

    /// <summary>The problems with these options, one sentence each naming the setting and what is allowed; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Epochs is < 1 or > MaxEpochs)
        {
            errors.Add($"epochs must be 1 to {MaxEpochs} (got {Epochs})");
        }

        if (BatchSize is < 2 or > MaxBatchSize)
        {
            errors.Add($"batch size must be 2 to {MaxBatchSize}: BatchNorm1d needs two faces to train (got {BatchSize})");
        }

        if (!(LearningRate > 0 && LearningRate <= 10))
        {
            errors.Add($"learning rate must be a positive number up to 10 (got {LearningRate})");
        }

        if (!(WeightDecay >= 0 && WeightDecay <= 10))
        {
            errors.Add($"weight decay must be 0 to 10 (got {WeightDecay})");
        }

        if (LearningRateStepBatches is < 1 or > MaxBatchCount)
        {
            errors.Add($"the learning-rate step must be 1 to {MaxBatchCount} batches (got {LearningRateStepBatches})");
        }

        if (!(LearningRateGamma > 0 && LearningRateGamma <= 1))
        {
            errors.Add($"the learning-rate gamma must be in (0, 1] (got {LearningRateGamma})");
        }

        if (!(HeldOutFraction >= 0 && HeldOutFraction < 1))
        {
            errors.Add($"the held-out fraction must be in [0, 1) (got {HeldOutFraction})");
        }

        if (!(Dropout >= 0 && Dropout < 1))
        {
            errors.Add($"dropout must be in [0, 1) (got {Dropout})");
        }

        if (CacheElement is not (RowElement.Float32 or RowElement.Float16))
        {
            errors.Add($"the cache holds float32 or float16 (got {CacheElement})");
        }

        if (TrunkBatchSize is < 0 or > MaxTrunkBatchSize)
        {
            errors.Add($"the trunk batch size must be 0 (by device) to {MaxTrunkBatchSize} (got {TrunkBatchSize})");
        }

        if (CheckpointEveryBatches is < 0 or > MaxBatchCount)
        {
            errors.Add($"checkpoints every N batches needs N from 0 (none within epochs) to {MaxBatchCount} (got {CheckpointEveryBatches})");
        }

        if (CheckpointEveryEpochs is < 0 or > MaxEpochs)
        {
            errors.Add($"checkpoints every N epochs needs N from 0 (none at epoch ends) to {MaxEpochs} (got {CheckpointEveryEpochs})");
        }

        if (Threads is < 0 or > MaxThreads)
        {
            errors.Add($"threads must be 0 (one per core) to {MaxThreads} (got {Threads})");
        }

        if (string.IsNullOrWhiteSpace(Device))
        {
            errors.Add("the device must be auto, cpu, cuda or cuda:N (got nothing)");
        }

        if (BackboneWeights is { } weights && !File.Exists(weights))
        {
            errors.Add($"backbone weights {weights}: no such file");
        }

        return errors;
    }

    /// <summary>The learning rate of the batch after <paramref name="step"/> batches (StepLR in closed form).</summary>
    public double LearningRateAt(long step) => LearningRate * Math.Pow(LearningRateGamma, step / LearningRateStepBatches);

    /// <summary>
    /// The settings a checkpoint must agree with to be resumed: all that change the result except the number of epochs
    /// (a finished run can be extended) and the cache (which changes it only by float error).
    /// </summary>
    internal string ResultKey() => FormattableString.Invariant(
        $"b{BatchSize}|lr{LearningRate:R}|wd{WeightDecay:R}|s{LearningRateStepBatches}|g{LearningRateGamma:R}|h{HeldOutFraction:R}|seed{Seed}|d{Dropout:R}|bb{(BackboneWeights is null ? "" : Path.GetFullPath(BackboneWeights))}");
}

/// <summary>The trunk's batch size when the settings leave it to the device.</summary>
public static class TrunkBatch
{
    /// <summary>
    /// <paramref name="requested"/> when positive; otherwise 32 on the CPU (on the development machine's two cores
    /// batches of 32 ran the trunk at 55 faces/s and batches of 64 at 23 to 27: the activations of a larger batch
    /// no longer fit the caches) and 256 on CUDA.
    /// </summary>
    public static int For(int requested, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return requested > 0 ? requested : device.type == DeviceType.CUDA ? 256 : 32;
    }
}
