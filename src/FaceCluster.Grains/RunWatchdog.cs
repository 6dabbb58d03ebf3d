using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceCluster.Grains;

/// <summary>
/// On every silo: once the silo is active, and then every <see cref="FaceClusterClusterOptions.WakeInterval"/>, asks the run
/// registry to wake unfinished runs. So a run whose coordinator's silo died (or whose whole cluster restarted) resumes from
/// its persisted state without anybody calling it.
/// </summary>
public sealed partial class RunWatchdog(
    IOptions<FaceClusterClusterOptions> options,
    IGrainFactory grains,
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
            try
            {
                await grains.GetGrain<IRunRegistryGrain>(0).WakeUnfinished().AsTask().WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogWakeFailed(e.Message);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Could not wake unfinished runs: {Reason}")]
    private partial void LogWakeFailed(string reason);
}
