using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

    /// <summary>The output folder each unfinished run holds, by run id.</summary>
    [Id(2)]
    public Dictionary<string, OutputClaim> Claims { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The list of runs (single activation, key 0), persisted to <see cref="FaceClusterStorage.Name"/>. It is also what brings a
/// run back after its coordinator's silo died: every silo periodically calls <see cref="WakeUnfinished"/>, which activates
/// the coordinator of every unfinished run (that activation resumes from persisted state).
/// </summary>
public sealed partial class RunRegistryGrain(
    [PersistentState("registry", FaceClusterStorage.Name)] IPersistentState<RunRegistryState> state,
    IOptions<FaceClusterClusterOptions> options,
    ILogger<RunRegistryGrain> logger) : Grain, IRunRegistryGrain
{
    /// <summary>How long <see cref="WakeUnfinished"/> waits for coordinators before it returns.</summary>
    private static readonly TimeSpan WakeWait = TimeSpan.FromSeconds(2);

    /// <summary>Far longer than a start takes (validation, two storage writes), so a start in progress is never taken for an orphan.</summary>
    private static readonly TimeSpan OrphanAfter = TimeSpan.FromMinutes(2);

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.RecordExists || !Directory.Exists(Path.Combine(options.Value.DataRoot, RunPaths.Runs)))
        {
            return;
        }

        // No registry in grain storage but run folders on disk (Redis restarted empty): rebuild it from the data root.
        foreach (var folder in new DirectoryInfo(Path.Combine(options.Value.DataRoot, RunPaths.Runs)).EnumerateDirectories().OrderBy(d => d.CreationTimeUtc))
        {
            var files = new RunFiles(options.Value.DataRoot, folder.Name);
            if (!RunPaths.IsValidRunId(folder.Name) || !File.Exists(files.Request))
            {
                continue;
            }

            state.State.Runs.Add(folder.Name);
            if (files.IsUnfinishedOnDisk)
            {
                try
                {
                    var request = files.ReadRequest();
                    state.State.Unfinished.Add(folder.Name);
                    state.State.Claims[folder.Name] = new OutputClaim { Output = OutputClaims.Normalize(request.OutputPath), Parent = request.Parent, ClaimedAt = DateTimeOffset.UtcNow };
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException)
                {
                    LogWakeFailed(folder.Name, e.Message);
                }
            }
        }

        if (state.State.Runs.Count > 0)
        {
            LogRebuilt(state.State.Runs.Count, state.State.Unfinished.Count);
            await state.WriteStateAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask<string?> Register(string runId, string outputPath, string? parent)
    {
        if (state.State.Runs.Contains(runId))
        {
            return null;
        }

        if (OutputClaims.Internal(outputPath, runId) is { } reason)
        {
            return reason;
        }

        while (OutputClaims.Conflict(runId, parent, outputPath, state.State.Claims) is { } holder)
        {
            // The holder may have just finished, its release still on the way: its own status is the truth.
            var status = await GrainFactory.GetGrain<IRunCoordinatorGrain>(holder).GetStatus().AsTask().WaitAsync(WakeWait);
            if (status.State is not (RunState.Completed or RunState.Failed or RunState.Cancelled))
            {
                return $"the output folder '{outputPath}' is being written by run {holder}, which has not finished";
            }

            state.State.Claims.Remove(holder);
            state.State.Unfinished.Remove(holder);
        }

        state.State.Runs.Add(runId);
        state.State.Unfinished.Add(runId);
        state.State.Claims[runId] = new OutputClaim { Output = OutputClaims.Normalize(outputPath), Parent = parent, ClaimedAt = DateTimeOffset.UtcNow };
        await state.WriteStateAsync();
        return null;
    }

    public ValueTask<IReadOnlyList<string>> List() => ValueTask.FromResult<IReadOnlyList<string>>([.. state.State.Runs]);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> ListUnfinished() => ValueTask.FromResult<IReadOnlyList<string>>([.. state.State.Unfinished]);

    /// <inheritdoc />
    public async ValueTask MarkFinished(string runId)
    {
        var released = state.State.Claims.Remove(runId);
        if (state.State.Unfinished.Remove(runId) || released)
        {
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> WakeUnfinished()
    {
        var runs = state.State.Unfinished.ToArray();
        var orphans = new ConcurrentBag<string>();
        var finished = await UnfinishedWork.WakeAllAsync(
            runs,
            async runId =>
            {
                var status = await GrainFactory.GetGrain<IRunCoordinatorGrain>(runId).Wake();
                if (status.Kind.Length == 0 && IsOrphan(runId))
                {
                    orphans.Add(runId);
                    return true;
                }

                return status.State is RunState.Completed or RunState.Failed or RunState.Cancelled;
            },
            LogWakeFailed,
            WakeWait);
        if (finished.Count > 0)
        {
            state.State.Unfinished.RemoveAll(finished.Contains);
            foreach (var runId in finished)
            {
                state.State.Claims.Remove(runId);
            }

            // A registration whose coordinator never recorded the run (its start failed after registering): forget it.
            foreach (var runId in orphans)
            {
                LogOrphanDropped(runId);
                state.State.Runs.Remove(runId);
            }

            await state.WriteStateAsync();
        }

        return runs.Length;
    }

    /// <summary>Whether a registered run with no coordinator state was registered long enough ago that its start has failed.</summary>
    private bool IsOrphan(string runId) =>
        !state.State.Claims.TryGetValue(runId, out var claim) || DateTimeOffset.UtcNow - claim.ClaimedAt > OrphanAfter;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The run registry had no state in grain storage: rebuilt from the data root ({Runs} runs, {Unfinished} unfinished)")]
    private partial void LogRebuilt(int runs, int unfinished);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} was registered but its coordinator never recorded it (its start failed): dropped from the registry")]
    private partial void LogOrphanDropped(string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake the coordinator of run {RunId}: {Reason}")]
    private partial void LogWakeFailed(string runId, string reason);
}
