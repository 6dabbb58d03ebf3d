namespace FaceCluster.Grains;

/// <summary>Where a run stands; what <c>GET /api/runs/{id}</c> returns.</summary>
/// <param name="RunId">The run.</param>
/// <param name="State">Lifecycle state.</param>
/// <param name="Stage">The stage in progress (for example "leave-one-out", "replicates", "train", "crop").</param>
/// <param name="CompletedUnits">Units of the stage done.</param>
/// <param name="TotalUnits">Units of the stage in all.</param>
/// <param name="SubmittedAt">When the run was accepted.</param>
/// <param name="FinishedAt">When it completed, failed or was cancelled.</param>
/// <param name="EtaSeconds">Estimated seconds to the end of the stage, when known.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="OutputPath">The output folder (relative to the data root).</param>
/// <param name="Kind">The run's kind.</param>
/// <param name="Detail">What the stage is doing, when its work says (for example "epoch 2, loss 0.071"); for a stage that is
/// a child run, the child's stage.</param>
/// <param name="Stages">Every stage so far and its progress, in order.</param>
/// <param name="BadInput">Whether the run failed because of its inputs or settings (not of the cluster): the command line
/// answers it with exit code 2.</param>
/// <param name="Submitter">The name of the API token that submitted the run (<see cref="RunRequest.Submitter"/>), or null.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RunStatus")]
public sealed record RunStatus(
    [property: Id(0)] string RunId,
    [property: Id(1)] RunState State,
    [property: Id(2)] string Stage,
    [property: Id(3)] long CompletedUnits,
    [property: Id(4)] long TotalUnits,
    [property: Id(5)] DateTimeOffset SubmittedAt,
    [property: Id(6)] DateTimeOffset? FinishedAt,
    [property: Id(7)] double? EtaSeconds,
    [property: Id(8)] string? Error,
    [property: Id(9)] string OutputPath,
    [property: Id(10)] string Kind = "",
    [property: Id(11)] string? Detail = null,
    [property: Id(12)] IReadOnlyList<StageProgress>? Stages = null,
    [property: Id(13)] string? Submitter = null,
    [property: Id(14)] bool BadInput = false);

/// <summary>The progress of one stage of a run.</summary>
/// <param name="Name">The stage.</param>
/// <param name="State"><c>running</c>, <c>done</c> or <c>skipped</c> (its outputs were already there).</param>
/// <param name="CompletedUnits">Units done (for a stage that reports progress inside its ranges, that progress).</param>
/// <param name="TotalUnits">Units in all.</param>
/// <param name="Seconds">Seconds since it started, or its duration once done.</param>
/// <param name="Detail">What it is doing, when its work says.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.StageProgress")]
public sealed record StageProgress(
    [property: Id(0)] string Name,
    [property: Id(1)] string State,
    [property: Id(2)] long CompletedUnits,
    [property: Id(3)] long TotalUnits,
    [property: Id(4)] double Seconds,
    [property: Id(5)] string? Detail);

/// <summary>How far a running range has come, as its worker reports it.</summary>
/// <param name="Done">Units of work done inside the range (steps, images).</param>
/// <param name="Total">Units of work in the range.</param>
/// <param name="Detail">One line for people (for example "training, epoch 1, loss 0.071").</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RangeProgress")]
public sealed record RangeProgress(
    [property: Id(0)] long Done,
    [property: Id(1)] long Total,
    [property: Id(2)] string? Detail);
