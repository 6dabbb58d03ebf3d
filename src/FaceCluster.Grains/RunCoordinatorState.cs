namespace FaceCluster.Grains;

/// <summary>What a run coordinator persists: the request, the state machine and every stage and range.</summary>
[GenerateSerializer]
[Alias("FaceCluster.RunCoordinatorState")]
public sealed class RunCoordinatorState
{
    /// <summary>The run id (the grain key), set when the run is accepted.</summary>
    [Id(0)]
    public string RunId { get; set; } = string.Empty;

    /// <summary>The accepted request; null until <see cref="IRunCoordinatorGrain.Start"/>.</summary>
    [Id(1)]
    public RunRequest? Request { get; set; }

    /// <summary>Lifecycle state.</summary>
    [Id(2)]
    public RunState State { get; set; } = RunState.Pending;

    /// <summary>When the run was accepted.</summary>
    [Id(3)]
    public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>When it completed, failed or was cancelled.</summary>
    [Id(4)]
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Why it failed.</summary>
    [Id(5)]
    public string? Error { get; set; }

    /// <summary>Stages scheduled so far, in order; the last one is the current one.</summary>
    [Id(6)]
    public List<StageState> Stages { get; set; } = [];

    /// <summary>Reports ignored because their range was already done or had been reassigned.</summary>
    [Id(7)]
    public int DuplicateReports { get; set; }

    /// <summary>
    /// Activations of the coordinator that resumed the unfinished run since a range last finished: a run whose coordinator
    /// keeps dying (it takes its silo down) is failed as poison after a few, instead of being taken up forever.
    /// </summary>
    [Id(8)]
    public int ResumesWithoutProgress { get; set; }

    /// <summary>Whether the run failed because of its inputs or settings.</summary>
    [Id(9)]
    public bool BadInput { get; set; }

}

/// <summary>One stage of a run.</summary>
[GenerateSerializer]
[Alias("FaceCluster.StageState")]
public sealed class StageState
{
    /// <summary>The stage's name (the run kind's).</summary>
    [Id(0)]
    public string Name { get; set; } = string.Empty;

    /// <summary>Units of the stage.</summary>
    [Id(1)]
    public int TotalUnits { get; set; }

    /// <summary>Units per range (of the largest range, the first, when the ranges are guided).</summary>
    [Id(2)]
    public int RangeSize { get; set; }

    /// <summary>When it was scheduled.</summary>
    [Id(3)]
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>When its last range completed.</summary>
    [Id(4)]
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Its ranges, in unit order.</summary>
    [Id(5)]
    public List<RangeState> Ranges { get; set; } = [];

    /// <summary>Where its ranges run.</summary>
    [Id(6)]
    public StagePlacement Placement { get; set; }

    /// <summary>How long one attempt may take, in seconds; 0: the cluster's setting.</summary>
    [Id(7)]
    public double RangeTimeoutSeconds { get; set; }

    /// <summary>The child run the stage stands for, if it is one (its one range is then that run).</summary>
    [Id(8)]
    public string? ChildRunId { get; set; }

    /// <summary>The child run's request.</summary>
    [Id(9)]
    public RunRequest? ChildRequest { get; set; }

    /// <summary>Why the stage had nothing to do, when it was skipped.</summary>
    [Id(10)]
    public string? Skipped { get; set; }
}

/// <summary>Where one range stands.</summary>
[GenerateSerializer]
[Alias("FaceCluster.RangeStatus")]
public enum RangeStatus
{
    /// <summary>Waiting for a silo.</summary>
    Pending = 0,

    /// <summary>Assigned to a silo.</summary>
    Running = 1,

    /// <summary>Its shard is written.</summary>
    Done = 2,
}

/// <summary>One work range of a stage.</summary>
[GenerateSerializer]
[Alias("FaceCluster.RangeState")]
public sealed class RangeState
{
    /// <summary>First unit index.</summary>
    [Id(0)]
    public int First { get; set; }

    /// <summary>Number of units.</summary>
    [Id(1)]
    public int Count { get; set; }

    /// <summary>Where it stands.</summary>
    [Id(2)]
    public RangeStatus Status { get; set; }

    /// <summary>Assignments so far (the attempt number of the current one).</summary>
    [Id(3)]
    public int Attempts { get; set; }

    /// <summary>Failed or timed-out attempts.</summary>
    [Id(4)]
    public int Failures { get; set; }

    /// <summary>Attempts abandoned because their silo died or did not accept the range.</summary>
    [Id(5)]
    public int Reassignments { get; set; }

    /// <summary>Completions counted: 0, then 1.</summary>
    [Id(6)]
    public int Completions { get; set; }

    /// <summary>The silo of the current assignment (<c>SiloAddress.ToParsableString</c>).</summary>
    [Id(7)]
    public string? Silo { get; set; }

    /// <summary>When the current attempt was assigned.</summary>
    [Id(8)]
    public DateTimeOffset? AssignedAt { get; set; }

    /// <summary>The reason of the last failure.</summary>
    [Id(9)]
    public string? LastError { get; set; }

    /// <summary>Every silo that computed an attempt (for reports).</summary>
    [Id(10)]
    public string? CompletedOn { get; set; }

    /// <summary>Attempts lost because their silo died while running them.</summary>
    [Id(11)]
    public int SiloLosses { get; set; }

    /// <summary>After a failed attempt, the range is not tried again before this (backoff: a full disk or a busy storage may recover).</summary>
    [Id(12)]
    public DateTimeOffset? NotBefore { get; set; }
}
