namespace FaceCluster.Grains;

/// <summary>
/// The way into one silo's workers: one activation per silo, keyed by that silo's address
/// (<c>SiloAddress.ToParsableString</c>) and placed there by the placement hint the coordinator sets. It forwards to the
/// silo-local <see cref="IAnalysisWorkerGrain"/> (a stateless worker, which Orleans activates on its caller's silo).
/// </summary>
[Alias("FaceCluster.ISiloWorkGateway")]
public interface ISiloWorkGateway : IGrainWithStringKey
{
    /// <summary>Queues <paramref name="range"/> on this silo; returns at once.</summary>
    [Alias("Accept")]
    ValueTask<RangeAccepted> Accept(WorkRange range);
}
