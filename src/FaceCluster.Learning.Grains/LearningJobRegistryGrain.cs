using FaceCluster.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace FaceCluster.Learning.Grains;

/// <summary>The learning jobs the cluster knows (single activation, key 0): for listing, and to wake unfinished ones.</summary>
[Alias("FaceCluster.ILearningJobRegistryGrain")]
public interface ILearningJobRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Records a job (its trainer grain's key) as started.</summary>
    [Alias("Register")]
    ValueTask Register(string key);

    /// <summary>Records a job as ended.</summary>
    [Alias("MarkFinished")]
    ValueTask MarkFinished(string key);

    /// <summary>Every job's key, oldest first.</summary>
    [Alias("List")]
    ValueTask<IReadOnlyList<string>> List();

    /// <summary>Calls the trainer of every unfinished job, which takes it up again if its silo was lost; returns how many.</summary>
    [Alias("WakeUnfinished")]
    ValueTask<int> WakeUnfinished();
}

/// <summary>What the learning job registry persists.</summary>
[GenerateSerializer]
[Alias("FaceCluster.LearningJobRegistryState")]
public sealed class LearningJobRegistryState
{
    /// <summary>Every job's key, oldest first.</summary>
    [Id(0)]
    public List<string> Jobs { get; set; } = [];

    /// <summary>Jobs not known to have ended.</summary>
    [Id(1)]
    public List<string> Unfinished { get; set; } = [];
}

/// <summary>
/// See <see cref="ILearningJobRegistryGrain"/>. Every silo's <see cref="RunWatchdog"/> calls <see cref="WakeUnfinished"/>
/// (through <see cref="UnfinishedLearningJobsWake"/>), so a job whose silo died, or whose whole cluster restarted, is
/// taken up again without anybody polling it.
/// </summary>
public sealed partial class LearningJobRegistryGrain(
    [PersistentState("learning-jobs", FaceClusterStorage.Name)] IPersistentState<LearningJobRegistryState> state,
    ILogger<LearningJobRegistryGrain> logger) : Grain, ILearningJobRegistryGrain
{
    private static readonly TimeSpan WakeWait = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public async ValueTask Register(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var changed = false;
        if (!state.State.Jobs.Contains(key))
        {
            state.State.Jobs.Add(key);
            changed = true;
        }

        if (!state.State.Unfinished.Contains(key))
        {
            state.State.Unfinished.Add(key);
            changed = true;
        }

        if (changed)
        {
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask MarkFinished(string key)
    {
        if (state.State.Unfinished.Remove(key))
        {
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> List() => ValueTask.FromResult<IReadOnlyList<string>>([.. state.State.Jobs]);

    /// <inheritdoc />
    public async ValueTask<int> WakeUnfinished()
    {
        var keys = state.State.Unfinished.ToArray();
        var ended = await UnfinishedWork.WakeAllAsync(
            keys,
            async key =>
            {
                var status = await GrainFactory.GetGrain<ITrainerGrain>(key).GetStatus();
                return status.IsFinished || status.State == "idle";
            },
            LogWakeFailed,
            WakeWait);
        if (ended.Count > 0)
        {
            state.State.Unfinished.RemoveAll(ended.Contains);
            await state.WriteStateAsync();
        }

        return keys.Length;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake the learning job {Key}: {Reason}")]
    private partial void LogWakeFailed(string key, string reason);
}

/// <summary>Wakes the unfinished learning jobs of the registry.</summary>
public sealed class UnfinishedLearningJobsWake : IScheduledWake
{
    /// <inheritdoc />
    public string Name => "unfinished learning jobs";

    /// <inheritdoc />
    public async ValueTask WakeAsync(IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        await grains.GetGrain<ILearningJobRegistryGrain>(0).WakeUnfinished().ConfigureAwait(false);
    }
}

/// <summary>Silo set-up for the trainer grains.</summary>
public static class LearningSiloExtensions
{
    /// <summary>
    /// Has the silo's watchdog wake unfinished learning jobs (with <c>AddFaceClusterGrains</c>, which adds the watchdog),
    /// so that a job whose silo was lost is taken up again even when nobody polls it.
    /// </summary>
    public static ISiloBuilder AddFaceClusterLearning(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IScheduledWake, UnfinishedLearningJobsWake>());
        return builder;
    }
}
