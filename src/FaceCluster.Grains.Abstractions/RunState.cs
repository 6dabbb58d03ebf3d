namespace FaceCluster.Grains;

/// <summary>Lifecycle of a run.</summary>
[GenerateSerializer]
[Alias("FaceCluster.RunState")]
public enum RunState
{
    /// <summary>Accepted, not started.</summary>
    Pending = 0,

    /// <summary>Its stages are being computed.</summary>
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
