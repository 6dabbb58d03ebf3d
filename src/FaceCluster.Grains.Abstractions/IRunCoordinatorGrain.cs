using Orleans.Concurrency;

namespace FaceCluster.Grains;

/// <summary>
/// One per run (key: run id), whatever its kind. Persists its state machine, asks the run's kind for each stage,
/// schedules the stage's ranges onto the silos' workers (or starts the child run a stage stands for), reassigns ranges
/// whose silo died or timed out, and finishes the run. Every call returns at once (start, then poll).
/// </summary>
[Alias("FaceCluster.IRunCoordinatorGrain")]
public interface IRunCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>Accepts the run (idempotent for the same request) and starts it.</summary>
    /// <exception cref="ArgumentException">The request is refused; the message names every problem.</exception>
    [Alias("Start")]
    ValueTask<RunStatus> Start(RunRequest request);

    /// <summary>Where the run stands.</summary>
    /// <remarks>
    /// Interleaves with every other call: it only reads the coordinator's in-memory state, and a status must answer while
    /// a long turn (a start, a stage being planned) runs, so that listings do not wait for busy coordinators.
    /// </remarks>
    [Alias("GetStatus")]
    [AlwaysInterleave]
    ValueTask<RunStatus> GetStatus();

    /// <summary>Stops scheduling and marks the run cancelled; running ranges stop at their next check.</summary>
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

    /// <summary>A worker reports how far a long range has come (training steps, for example); kept in memory only.</summary>
    [Alias("RangeProgress")]
    ValueTask RangeProgress(WorkRange range, RangeProgress progress);

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
