using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceCluster.Grains;

/// <summary>
/// Work that a registry brings back after its silo died: <see cref="RunWatchdog"/> calls every registered one on schedule.
/// </summary>
public interface IScheduledWake
{
    /// <summary>What is woken, for the log.</summary>
    string Name { get; }

    /// <summary>Activates whatever unfinished work the registry knows (each activation resumes from persisted state).</summary>
    ValueTask WakeAsync(IGrainFactory grains);
}

/// <summary>Wakes the unfinished runs of the run registry.</summary>
internal sealed class UnfinishedRunsWake : IScheduledWake
{
    /// <inheritdoc />
    public string Name => "unfinished runs";

    /// <inheritdoc />
    public async ValueTask WakeAsync(IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        await grains.GetGrain<IRunRegistryGrain>(0).WakeUnfinished().ConfigureAwait(false);
    }
}

/// <summary>
/// On every silo: once the silo is active, and then every <see cref="FaceClusterClusterOptions.WakeInterval"/>, calls every
/// <see cref="IScheduledWake"/> (the run registry's unfinished runs, and whatever else a silo registers, such as
/// learning jobs). So a run whose coordinator's silo died (or whose whole cluster restarted) resumes from its persisted
/// state without anybody calling it.
/// </summary>
public sealed partial class RunWatchdog(
    IOptions<FaceClusterClusterOptions> options,
    IGrainFactory grains,
    IEnumerable<IScheduledWake> wakes,
    ILogger<RunWatchdog> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(
            nameof(RunWatchdog),
            ServiceLifecycleStage.Active,
            _ =>
            {
                _loop = Task.Run(LoopAsync, CancellationToken.None);
                return Task.CompletedTask;
            },
            async _ =>
            {
                await _stopping.CancelAsync().ConfigureAwait(false);
                if (_loop is not null)
                {
                    await _loop.ConfigureAwait(false);
                }
            });
    }

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(options.Value.WakeInterval);
        do
        {
            foreach (var wake in wakes)
            {
                try
                {
                    await wake.WakeAsync(grains).AsTask().WaitAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogWakeFailed(wake.Name, e.Message);
                }
            }
        }
        while (await Next(timer).ConfigureAwait(false));
    }

    private async Task<bool> Next(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Could not wake {What}: {Reason}")]
    private partial void LogWakeFailed(string what, string reason);
}
