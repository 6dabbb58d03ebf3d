using Orleans.Concurrency;

namespace FaceCluster.Grains;

/// <summary>
/// Stateless worker: hands each range to this silo's <see cref="SiloWorkExecutor"/>, which computes it in the
/// background and reports back to the coordinator; every call returns at once. Stateless workers are activated on
/// their caller's silo, so the coordinator reaches a chosen silo's workers through its <see cref="ISiloWorkGateway"/>.
/// </summary>
[StatelessWorker]
public sealed class AnalysisWorkerGrain(SiloWorkExecutor executor) : Grain, IAnalysisWorkerGrain
{
    /// <inheritdoc />
    public ValueTask StartRange(WorkRange range)
    {
        executor.Accept(range);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<RangeAccepted> Accept(WorkRange range) => ValueTask.FromResult(executor.Accept(range));
}
