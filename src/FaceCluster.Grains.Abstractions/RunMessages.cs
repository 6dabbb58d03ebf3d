namespace FaceCluster.Grains;

/// <summary>Which analysis a run performs.</summary>
[GenerateSerializer]
[Alias("FaceCluster.AnalysisKind")]
public enum AnalysisKind
{
    /// <summary>PPCA of X against Y with loading-significance replicates (analysis.md sections 1-7, 9).</summary>
    Ppca = 0,

    /// <summary>Generalized PPCA of judgments across countries (analysis.md section 8).</summary>
    Gppca = 1,
}

/// <summary>Lifecycle of a run.</summary>
[GenerateSerializer]
[Alias("FaceCluster.RunState")]
public enum RunState
{
    /// <summary>Accepted, not started.</summary>
    Pending = 0,

    /// <summary>Work ranges are being computed.</summary>
    Running = 1,

    /// <summary>Shards are being aggregated into the outputs.</summary>
    Aggregating = 2,

    /// <summary>Outputs are complete.</summary>
    Completed = 3,

    /// <summary>Stopped by an error (see <see cref="RunStatus.Error"/>).</summary>
    Failed = 4,

    /// <summary>Stopped on request.</summary>
    Cancelled = 5,
}

/// <summary>
/// What a researcher submits. Paths are relative to the cluster's data root (the shared result
/// store every silo mounts); the run never receives matrices in messages.
/// </summary>
/// <param name="Kind">The analysis.</param>
/// <param name="XPath">PPCA: the DNN outputs table; G-PPCA: unused.</param>
/// <param name="YPath">PPCA: the human judgments table; G-PPCA: the judgments table.</param>
/// <param name="OutputPath">Folder for the outputs (written whole at the end).</param>
/// <param name="Bootstrap">Dimension-bootstrap resamples B.</param>
/// <param name="Replicates">Loading-significance replicates R (0 skips them).</param>
/// <param name="InnerBootstrap">Inner bootstrap per replicate (null: B).</param>
/// <param name="Seed">Run seed of every random stream.</param>
/// <param name="LeaveOneOut">"fast" or "naive".</param>
/// <param name="RangeSize">Replicates (or folds) per work range; 0 lets the coordinator choose.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RunRequest")]
public sealed record RunRequest(
    [property: Id(0)] AnalysisKind Kind,
    [property: Id(1)] string? XPath,
    [property: Id(2)] string YPath,
    [property: Id(3)] string OutputPath,
    [property: Id(4)] int Bootstrap = 1000,
    [property: Id(5)] int Replicates = 1000,
    [property: Id(6)] int? InnerBootstrap = null,
    [property: Id(7)] ulong Seed = 1,
    [property: Id(8)] string LeaveOneOut = "fast",
    [property: Id(9)] int RangeSize = 0);

/// <summary>Where a run stands; what <c>GET /api/runs/{id}</c> returns.</summary>
/// <param name="RunId">The run.</param>
/// <param name="State">Lifecycle state.</param>
/// <param name="Stage">The stage in progress (for example "leave-one-out", "replicates", "aggregate").</param>
/// <param name="CompletedUnits">Units of the stage done.</param>
/// <param name="TotalUnits">Units of the stage in all.</param>
/// <param name="SubmittedAt">When the run was accepted.</param>
/// <param name="FinishedAt">When it completed, failed or was cancelled.</param>
/// <param name="EtaSeconds">Estimated seconds to completion, when known.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="OutputPath">The output folder (relative to the data root).</param>
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
    [property: Id(9)] string OutputPath);

/// <summary>A contiguous range of work units of one stage of a run: the unit of scheduling.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Stage">"leave-one-out" (folds) or "replicates" (section 7 replicate indices).</param>
/// <param name="First">First unit index.</param>
/// <param name="Count">Number of units.</param>
/// <param name="Attempt">1 for the first assignment, more when reassigned after a silo died or timed out.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.WorkRange")]
public sealed record WorkRange(
    [property: Id(0)] string RunId,
    [property: Id(1)] string Stage,
    [property: Id(2)] int First,
    [property: Id(3)] int Count,
    [property: Id(4)] int Attempt);
