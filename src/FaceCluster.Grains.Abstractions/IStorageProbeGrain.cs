namespace FaceCluster.Grains;

/// <summary>
/// Readiness probe of the cluster's grain storage (single activation, key 0): each call reads a small state through the
/// storage provider the runs use, so it answers only while that storage does (an in-memory answer proves nothing).
/// </summary>
[Alias("FaceCluster.IStorageProbeGrain")]
public interface IStorageProbeGrain : IGrainWithIntegerKey
{
    /// <summary>Reads the probe's state from grain storage; fails or hangs as the storage does.</summary>
    [Alias("Probe")]
    Task Probe();
}
