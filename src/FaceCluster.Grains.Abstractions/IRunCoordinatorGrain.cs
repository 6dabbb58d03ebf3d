namespace FaceCluster.Grains;

/// <summary>
/// One per run (key: run id). Persists its state machine, schedules work ranges onto
/// <see cref="IAnalysisWorkerGrain"/>s, reassigns ranges whose silo died or timed out, and
/// aggregates the shards into the outputs. Every call returns at once (start, then poll).
/// </summary>
[Alias("FaceCluster.IRunCoordinatorGrain")]
public interface IRunCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>Accepts the run (idempotent for the same request) and starts it.</summary>
    [Alias("Start")]
    ValueTask<RunStatus> Start(RunRequest request);

    /// <summary>Where the run stands.</summary>
    [Alias("GetStatus")]
    ValueTask<RunStatus> GetStatus();

    /// <summary>Stops scheduling and marks the run cancelled; running ranges finish or are abandoned.</summary>
    [Alias("Cancel")]
    ValueTask<RunStatus> Cancel();

    /// <summary>A worker reports that <paramref name="range"/>'s shard is written.</summary>
    [Alias("RangeCompleted")]
    ValueTask RangeCompleted(WorkRange range);

    /// <summary>A worker reports that <paramref name="range"/> failed, with <paramref name="reason"/>.</summary>
    [Alias("RangeFailed")]
    ValueTask RangeFailed(WorkRange range, string reason);

    /// <summary>
    /// A worker reports that <paramref name="range"/> cannot succeed (for example invalid input): the run fails at once
    /// with <paramref name="reason"/>, without retries.
    /// </summary>
    [Alias("RangeRejected")]
    ValueTask RangeRejected(WorkRange range, string reason);

    /// <summary>Everything about the run: status, stages, ranges, attempts.</summary>
    [Alias("GetReport")]
    ValueTask<RunReport> GetReport();

    /// <summary>
    /// Activates the coordinator (resuming an unfinished run from its persisted state) and returns its status; the run
    /// registry calls it periodically for unfinished runs.
    /// </summary>
    [Alias("Wake")]
    ValueTask<RunStatus> Wake();
}

/// <summary>
/// Stateless worker that computes one <see cref="WorkRange"/> at a time in the background and writes
/// its Parquet shard (temporary file, atomic rename) into the run's folder, then reports back.
/// </summary>
[Alias("FaceCluster.IAnalysisWorkerGrain")]
public interface IAnalysisWorkerGrain : IGrainWithIntegerKey
{
    /// <summary>Starts computing <paramref name="range"/>; returns at once.</summary>
    [Alias("StartRange")]
    ValueTask StartRange(WorkRange range);

    /// <summary>Queues <paramref name="range"/> on this silo and says where and how busy; returns at once.</summary>
    [Alias("Accept")]
    ValueTask<RangeAccepted> Accept(WorkRange range);
}

/// <summary>The list of runs of the cluster (single activation, key 0).</summary>
[Alias("FaceCluster.IRunRegistryGrain")]
public interface IRunRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Records a run id.</summary>
    [Alias("Register")]
    ValueTask Register(string runId);

    /// <summary>All run ids, oldest first.</summary>
    [Alias("List")]
    ValueTask<IReadOnlyList<string>> List();

    /// <summary>Run ids not yet completed, failed or cancelled, oldest first.</summary>
    [Alias("ListUnfinished")]
    ValueTask<IReadOnlyList<string>> ListUnfinished();

    /// <summary>Records that a run completed, failed or was cancelled.</summary>
    [Alias("MarkFinished")]
    ValueTask MarkFinished(string runId);

    /// <summary>
    /// Wakes the coordinator of every unfinished run (so that one whose silo died resumes from its persisted state) and
    /// returns how many it woke. Every silo calls it periodically.
    /// </summary>
    [Alias("WakeUnfinished")]
    ValueTask<int> WakeUnfinished();
}
