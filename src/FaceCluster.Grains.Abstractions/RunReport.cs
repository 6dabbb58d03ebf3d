namespace FaceCluster.Grains;

/// <summary>One work range as the coordinator tracks it.</summary>
/// <param name="First">First unit index.</param>
/// <param name="Count">Number of units.</param>
/// <param name="State">"pending", "running" or "done".</param>
/// <param name="Attempts">Assignments so far.</param>
/// <param name="Failures">Failed or timed-out attempts (the run fails when they reach the limit).</param>
/// <param name="Reassignments">Attempts abandoned because their silo died.</param>
/// <param name="Completions">Completions counted (0 or 1; later duplicates are ignored).</param>
/// <param name="Silo">The silo of the last assignment.</param>
/// <param name="LastError">The reason of the last failure.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RangeReport")]
public sealed record RangeReport(
    [property: Id(0)] int First,
    [property: Id(1)] int Count,
    [property: Id(2)] string State,
    [property: Id(3)] int Attempts,
    [property: Id(4)] int Failures,
    [property: Id(5)] int Reassignments,
    [property: Id(6)] int Completions,
    [property: Id(7)] string? Silo,
    [property: Id(8)] string? LastError);

/// <summary>One stage of a run.</summary>
/// <param name="Name">The stage's name (the kind's).</param>
/// <param name="TotalUnits">Units of the stage.</param>
/// <param name="CompletedUnits">Units whose range is done.</param>
/// <param name="RangeSize">Units per range (of the largest range, the first, when the coordinator chose guided ranges).</param>
/// <param name="StartedAt">When its first range was scheduled.</param>
/// <param name="FinishedAt">When its last range completed.</param>
/// <param name="Ranges">Its ranges, in unit order.</param>
/// <param name="ChildRunId">The child run the stage stands for, if it is one.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.StageReport")]
public sealed record StageReport(
    [property: Id(0)] string Name,
    [property: Id(1)] long TotalUnits,
    [property: Id(2)] long CompletedUnits,
    [property: Id(3)] int RangeSize,
    [property: Id(4)] DateTimeOffset? StartedAt,
    [property: Id(5)] DateTimeOffset? FinishedAt,
    [property: Id(6)] IReadOnlyList<RangeReport> Ranges,
    [property: Id(7)] string? ChildRunId = null);

/// <summary>Everything the coordinator knows about a run: its status and every stage and range.</summary>
/// <param name="Status">As <see cref="IRunCoordinatorGrain.GetStatus"/>.</param>
/// <param name="Request">The request, or null for an unknown run.</param>
/// <param name="Stages">Stages scheduled so far, in order.</param>
/// <param name="DuplicateReports">Completions and failures ignored because their range was already done or reassigned.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RunReport")]
public sealed record RunReport(
    [property: Id(0)] RunStatus Status,
    [property: Id(1)] RunRequest? Request,
    [property: Id(2)] IReadOnlyList<StageReport> Stages,
    [property: Id(3)] int DuplicateReports);
