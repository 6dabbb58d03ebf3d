using Orleans.Placement;

namespace FaceCluster.Grains;

/// <summary>See <see cref="ISiloWorkGateway"/>. Random placement honours the coordinator's placement hint.</summary>
[RandomPlacement]
public sealed class SiloWorkGatewayGrain : Grain, ISiloWorkGateway
{
    /// <inheritdoc />
    public ValueTask<RangeAccepted> Accept(WorkRange range) => GrainFactory.GetGrain<IAnalysisWorkerGrain>(0).Accept(range);
}
