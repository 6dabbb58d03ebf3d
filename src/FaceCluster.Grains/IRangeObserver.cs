namespace FaceCluster.Grains;

/// <summary>How a silo's attempt at a range ended.</summary>
public enum RangeOutcome
{
    /// <summary>Computed and its shard written.</summary>
    Computed,

    /// <summary>Its shard was already present; nothing was computed.</summary>
    AlreadyPresent,

    /// <summary>It threw; the coordinator retries it up to its limit.</summary>
    Failed,

    /// <summary>It cannot succeed (invalid input); the run fails.</summary>
    Rejected,

    /// <summary>Dropped because the run was cancelled or the silo is stopping.</summary>
    Abandoned,
}

/// <summary>
/// Watches the ranges a silo computes: an extension point for telemetry (spans and counters per range) and for tests
/// (holding a range in flight, injecting a fault). Register any number as singletons in the silo's services.
/// </summary>
public interface IRangeObserver
{
    /// <summary>
    /// Called on the worker thread before <paramref name="range"/> is computed on <paramref name="silo"/>. May wait (the
    /// range stays in flight) or throw (the attempt fails, as if the computation had thrown).
    /// </summary>
    ValueTask OnRangeStartingAsync(WorkRange range, SiloAddress silo, CancellationToken cancellationToken);

    /// <summary>Called once the attempt has ended, before it is reported to the coordinator.</summary>
    void OnRangeFinished(WorkRange range, SiloAddress silo, RangeOutcome outcome, TimeSpan elapsed);
}
