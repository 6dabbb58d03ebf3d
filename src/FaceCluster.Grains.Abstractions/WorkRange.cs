namespace FaceCluster.Grains;

/// <summary>A contiguous range of work units of one stage of a run: the unit of scheduling.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Stage">A stage of the run's kind ("leave-one-out", "replicates", "crop", "train", ...).</param>
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

/// <summary>A worker's answer to <see cref="IAnalysisWorkerGrain.Accept"/>.</summary>
/// <param name="Silo">The silo that queued the range (where it will run).</param>
/// <param name="Slots">Ranges that silo computes at once.</param>
/// <param name="Queued">Ranges queued or running on that silo, this one included.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RangeAccepted")]
public sealed record RangeAccepted(
    [property: Id(0)] SiloAddress Silo,
    [property: Id(1)] int Slots,
    [property: Id(2)] int Queued);
