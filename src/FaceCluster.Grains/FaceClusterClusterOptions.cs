namespace FaceCluster.Grains;

/// <summary>
/// Settings of a FaceCluster silo: where the shared files live and how runs are scheduled. Bound from the
/// <c>FaceCluster</c> configuration section by the hosting extensions and checked at start-up by
/// <c>FaceClusterClusterOptionsValidator</c>.
/// </summary>
public sealed class FaceClusterClusterOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "FaceCluster";

    /// <summary>
    /// The data root: an absolute folder that every silo of the cluster sees at the same path (a shared volume). Run
    /// requests name their inputs and outputs relative to it; runs keep their shards under <c>runs/</c> and the embedded
    /// file grain storage keeps grain state under <c>grain-state/</c>.
    /// </summary>
    public string DataRoot { get; set; } = string.Empty;

    /// <summary>Ranges one silo computes at once; 0 means one per processor core of that silo.</summary>
    public int WorkerSlots { get; set; }

    /// <summary>Ranges the coordinator hands a silo beyond its slots, so that a slot never waits for the next assignment.</summary>
    public int PrefetchRangesPerSilo { get; set; } = 1;

    /// <summary>
    /// The largest replicate range the coordinator cuts when a request leaves the range size to it (guided ranges start at
    /// <c>R / (2 x slots)</c> replicates, at most this many): what a lost silo costs, and how long the first shard takes.
    /// </summary>
    public int MaxReplicatesPerRange { get; set; } = 16;

    /// <summary>A range running longer than this is taken as lost, counted as a failure and reassigned.</summary>
    public TimeSpan RangeTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>A range that fails (or times out) this many times fails its run.</summary>
    public int MaxRangeFailures { get; set; } = 3;

    /// <summary>
    /// A range whose silo died under it this many times fails its run (poison): a request that kills the silo running
    /// it must not take down every silo in turn. The same bound applies to a run's coordinator restarted without progress.
    /// </summary>
    public int MaxSiloLosses { get; set; } = 3;

    /// <summary>How long the coordinator waits for workers to accept ranges before it retries them elsewhere (well under the 30 s response timeout).</summary>
    public TimeSpan DispatchTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a running coordinator checks silos, timeouts and shards, and persists its progress.</summary>
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often every silo asks the run registry to wake unfinished runs (resuming those whose silo died).</summary>
    public TimeSpan WakeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The folder of MTCNN's weights (pnet.pt, rnet.pt, onet.pt) on this silo; empty: <c>FACECLUSTER_MTCNN_MODELS</c>, else
    /// facenet-pytorch's weights built into FaceCluster.Vision.
    /// </summary>
    public string MtcnnModels { get; set; } = string.Empty;

    /// <summary>The resolved number of worker slots of this silo.</summary>
    public int EffectiveWorkerSlots => WorkerSlots > 0 ? WorkerSlots : Environment.ProcessorCount;

    /// <summary>
    /// The cores one worker slot may use (at least one): what a range that computes with libtorch or in parallel asks for
    /// by default, so that the slots of a busy silo share its cores instead of each asking for all of them.
    /// </summary>
    public int CoresPerWorkerSlot => Math.Max(1, Environment.ProcessorCount / EffectiveWorkerSlots);

    /// <summary>Every reason these options are unusable, each naming the setting and saying what is expected; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataRoot))
        {
            errors.Add($"{SectionName}:{nameof(DataRoot)} is not set; it must be an absolute folder shared by every silo (for example /data/facecluster)");
        }
        else if (!Path.IsPathFullyQualified(DataRoot))
        {
            errors.Add($"{SectionName}:{nameof(DataRoot)} must be an absolute path, got '{DataRoot}'");
        }

        if (WorkerSlots < 0)
        {
            errors.Add($"{SectionName}:{nameof(WorkerSlots)} must be 0 (one per core) or more, got {WorkerSlots}");
        }

        if (PrefetchRangesPerSilo < 0)
        {
            errors.Add($"{SectionName}:{nameof(PrefetchRangesPerSilo)} must be 0 or more, got {PrefetchRangesPerSilo}");
        }

        if (MaxReplicatesPerRange < 1)
        {
            errors.Add($"{SectionName}:{nameof(MaxReplicatesPerRange)} must be at least 1, got {MaxReplicatesPerRange}");
        }

        if (RangeTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(RangeTimeout)} must be positive, got {RangeTimeout}");
        }

        if (MaxRangeFailures < 1)
        {
            errors.Add($"{SectionName}:{nameof(MaxRangeFailures)} must be at least 1, got {MaxRangeFailures}");
        }

        if (MaxSiloLosses < 1)
        {
            errors.Add($"{SectionName}:{nameof(MaxSiloLosses)} must be at least 1, got {MaxSiloLosses}");
        }

        if (DispatchTimeout <= TimeSpan.Zero || DispatchTimeout > TimeSpan.FromSeconds(20))
        {
            errors.Add($"{SectionName}:{nameof(DispatchTimeout)} must lie in (0, 20 s] so that coordinator calls stay short, got {DispatchTimeout}");
        }

        if (SchedulerInterval <= TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(SchedulerInterval)} must be positive, got {SchedulerInterval}");
        }
        else if (RangeTimeout > TimeSpan.Zero && SchedulerInterval > RangeTimeout)
        {
            errors.Add($"{SectionName}:{nameof(SchedulerInterval)} ({SchedulerInterval}) must not exceed {nameof(RangeTimeout)} ({RangeTimeout}), or timeouts are noticed late");
        }

        if (WakeInterval <= TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(WakeInterval)} must be positive, got {WakeInterval}");
        }

        return errors;
    }
}

/// <summary>Names shared by the silo configuration and the grains.</summary>
public static class FaceClusterStorage
{
    /// <summary>
    /// The name of the grain storage that run coordinators and the run registry persist to. The embedded default is the
    /// JSON file storage under the data root (<see cref="FileGrainStorage"/>); a cluster registers another provider (for
    /// example Redis) under this same name.
    /// </summary>
    public const string Name = "facecluster";

    /// <summary>The folder, under the data root, of the file grain storage.</summary>
    public const string StateFolder = "grain-state";
}
