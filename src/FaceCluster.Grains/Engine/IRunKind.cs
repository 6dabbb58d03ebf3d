namespace FaceCluster.Grains;

/// <summary>
/// A kind of run (ppca, gppca, crop, train, ...): everything the engine needs to know about it. The coordinator asks it for
/// each next stage and for the file that marks a range finished; the silos' executors ask it to compute ranges. A kind is
/// registered once (<see cref="RunKindServiceCollectionExtensions.AddRunKind{TKind}"/>) and nothing in the coordinator
/// names it.
/// </summary>
/// <remarks>
/// Every range a kind computes must be a pure function of the run's inputs, its parameters and the shards of earlier
/// stages, written atomically: any silo may compute it, any number of times, with the same bytes as a result.
/// </remarks>
public interface IRunKind
{
    /// <summary>The kind's name in <see cref="RunRequest.Kind"/> (lower case).</summary>
    string Name { get; }

    /// <summary>Every problem with <paramref name="request"/>, each a sentence naming the field; empty when it can start.</summary>
    /// <param name="request">The request (its parameters are this kind's).</param>
    /// <param name="dataRoot">The data root its paths are relative to.</param>
    IReadOnlyList<string> Validate(RunRequest request, string dataRoot);

    /// <summary>
    /// The stage after <see cref="RunPlanning.CompletedStage"/> (the first one when it is null), or null when the run is
    /// complete. Runs on the coordinator: small reads and writes only.
    /// </summary>
    /// <exception cref="Tables.InvalidInputException">The run cannot go on; the message says why.</exception>
    Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken);

    /// <summary>The file whose presence means that the range is finished (written last, atomically).</summary>
    string ShardOf(RunFiles files, RunRequest request, string stage, int first, int count);

    /// <summary>
    /// Computes a range on a worker and returns what writes its shard (the part that needs the disk rather than a core;
    /// a one-unit stage may write everything before it returns).
    /// </summary>
    /// <exception cref="Tables.InvalidInputException">The inputs are unusable (the run cannot succeed).</exception>
    Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken);

    /// <summary>Every file a finished range wrote (for the bytes-written metric); by default its shard.</summary>
    IEnumerable<string> FilesOf(RunFiles files, RunRequest request, string stage, int first, int count) => [ShardOf(files, request, stage, first, count)];

    /// <summary>Called once when the run completes, fails or is cancelled (for example to record it in the output folder).</summary>
    Task OnFinishedAsync(RunPlanning planning, RunState state, string? failure, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Where a stage's ranges may run.</summary>
[GenerateSerializer]
[Alias("FaceCluster.StagePlacement")]
public enum StagePlacement
{
    /// <summary>Any active silo.</summary>
    Any = 0,

    /// <summary>A silo whose role is gpu when the cluster has one, else any.</summary>
    PreferGpu = 1,
}

/// <summary>A stage as a kind plans it.</summary>
/// <param name="Name">The stage's name (unique within the run).</param>
/// <param name="Units">Units of work (folds, replicates, images, ...).</param>
/// <param name="Ranges">How the units are cut into ranges (fixed when planned, persisted with the stage).</param>
/// <param name="Placement">Where its ranges run.</param>
/// <param name="RangeTimeout">How long one attempt may take before it counts as failed; null: the cluster's setting.</param>
/// <param name="Child">A stage that is a whole run of another kind: the coordinator starts that run and follows it instead
/// of scheduling ranges (<see cref="Units"/> and <see cref="Ranges"/> are then one unit in one range).</param>
/// <param name="Skipped">Why the stage has nothing to do (its outputs are there already), or null: shown in status and reports.</param>
public sealed record StagePlan(
    string Name,
    int Units,
    IReadOnlyList<(int First, int Count)> Ranges,
    StagePlacement Placement = StagePlacement.Any,
    TimeSpan? RangeTimeout = null,
    RunRequest? Child = null,
    string? Skipped = null)
{
    /// <summary>A stage of one unit in one range (prepare, aggregate, train, ...).</summary>
    public static StagePlan One(string name, StagePlacement placement = StagePlacement.Any, TimeSpan? rangeTimeout = null) =>
        new(name, 1, [(0, 1)], placement, rangeTimeout);

    /// <summary>A stage that is the child run <paramref name="child"/>.</summary>
    public static StagePlan ChildRun(string name, RunRequest child) => new(name, 1, [(0, 1)], Child: child);

    /// <summary>A stage with nothing to do, recorded as skipped with <paramref name="reason"/>.</summary>
    public static StagePlan Skip(string name, string reason) => new(name, 0, [], Skipped: reason);
}

/// <summary>What a kind sees when it plans the next stage (on the coordinator).</summary>
/// <param name="Files">The run's files.</param>
/// <param name="Request">The request.</param>
/// <param name="CompletedStage">The stage that just completed, or null to plan the first.</param>
/// <param name="Stages">The stages so far, with timings and ranges.</param>
/// <param name="ClusterSlots">Worker slots of the active silos (for guided range sizes).</param>
/// <param name="Options">The cluster's settings.</param>
public sealed record RunPlanning(
    RunFiles Files,
    RunRequest Request,
    string? CompletedStage,
    IReadOnlyList<StageReport> Stages,
    int ClusterSlots,
    FaceClusterClusterOptions Options)
{
    /// <summary>The run id.</summary>
    public string RunId => Files.RunId;

    /// <summary>The full path of the output folder.</summary>
    public string OutputFolder => Files.Output(Request);
}

/// <summary>One range to compute on a worker.</summary>
/// <param name="Files">The run's files.</param>
/// <param name="Request">The request.</param>
/// <param name="Range">The range.</param>
/// <param name="Progress">Reports progress inside a long range (sent to the coordinator at most every second or so).</param>
public sealed record RangeWork(RunFiles Files, RunRequest Request, WorkRange Range, IProgress<RangeProgress> Progress);
