using Orleans.Concurrency;

namespace FaceCluster.Grains;

/// <summary>The (never written) state that <see cref="StorageProbeGrain"/> reads.</summary>
[GenerateSerializer]
[Alias("FaceCluster.StorageProbeState")]
public sealed class StorageProbeState
{
    /// <summary>Unused; the state exists so that there is something to read.</summary>
    [Id(0)]
    public int Version { get; set; }
}

/// <summary>Reads its state from <see cref="FaceClusterStorage.Name"/> on every <see cref="Probe"/>.</summary>
/// <remarks>Reentrant: a probe stuck on a hung storage must not queue the next probes behind it.</remarks>
[Reentrant]
public sealed class StorageProbeGrain(
    [PersistentState("probe", FaceClusterStorage.Name)] IPersistentState<StorageProbeState> state) : Grain, IStorageProbeGrain
{
    /// <inheritdoc />
    public Task Probe() => state.ReadStateAsync();
}
