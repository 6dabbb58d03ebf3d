namespace FaceCluster.Grains;

/// <summary>
/// Stateless worker that queues <see cref="WorkRange"/>s on its silo; the silo's executor computes each with the code of
/// the run's kind, writes its shard (temporary file, atomic rename) and reports back to the coordinator.
/// </summary>
[Alias("FaceCluster.IAnalysisWorkerGrain")]
public interface IAnalysisWorkerGrain : IGrainWithIntegerKey
{
    /// <summary>Starts computing <paramref name="range"/>; returns at once.</summary>
    [Alias("StartRange")]
    ValueTask StartRange(WorkRange range);

    /// <summary>Queues <paramref name="range"/> on this silo and says where and how busy; returns at once.</summary>
    [Alias("Accept")]
    ValueTask<RangeAccepted> Accept(WorkRange range);
}
