using Microsoft.Extensions.Logging;

namespace FaceCluster.Grains;

/// <summary>What the run registry persists.</summary>
[GenerateSerializer]
[Alias("FaceCluster.RunRegistryState")]
public sealed class RunRegistryState
{
    /// <summary>Every run id, oldest first.</summary>
    [Id(0)]
    public List<string> Runs { get; set; } = [];

    /// <summary>Runs not yet completed, failed or cancelled.</summary>
    [Id(1)]
    public List<string> Unfinished { get; set; } = [];
}

/// <summary>
/// The list of runs (single activation, key 0), persisted to <see cref="FaceClusterStorage.Name"/>. It is also what brings a
/// run back after its coordinator's silo died: every silo periodically calls <see cref="WakeUnfinished"/>, which activates
/// the coordinator of every unfinished run (that activation resumes from persisted state).
/// </summary>
public sealed partial class RunRegistryGrain(
    [PersistentState("registry", FaceClusterStorage.Name)] IPersistentState<RunRegistryState> state,
    ILogger<RunRegistryGrain> logger) : Grain, IRunRegistryGrain
{
    /// <summary>How long <see cref="WakeUnfinished"/> waits for coordinators before it returns.</summary>
    private static readonly TimeSpan WakeWait = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public async ValueTask Register(string runId)
    {
        if (state.State.Runs.Contains(runId))
        {
            return;
        }

        state.State.Runs.Add(runId);
        state.State.Unfinished.Add(runId);
        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> List() => ValueTask.FromResult<IReadOnlyList<string>>([.. state.State.Runs]);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> ListUnfinished() => ValueTask.FromResult<IReadOnlyList<string>>([.. state.State.Unfinished]);

    /// <inheritdoc />
    public async ValueTask MarkFinished(string runId)
    {
        if (state.State.Unfinished.Remove(runId))
        {
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> WakeUnfinished()
    {
        var runs = state.State.Unfinished.ToArray();
        var finished = await UnfinishedWork.WakeAllAsync(
            runs,
            async runId => (await GrainFactory.GetGrain<IRunCoordinatorGrain>(runId).Wake()).State is RunState.Completed or RunState.Failed or RunState.Cancelled,
            LogWakeFailed,
            WakeWait);
        if (finished.Count > 0)
        {
            state.State.Unfinished.RemoveAll(finished.Contains);
            await state.WriteStateAsync();
        }

        return runs.Length;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake the coordinator of run {RunId}: {Reason}")]
    private partial void LogWakeFailed(string runId, string reason);
}
