using FaceCluster.Grains;

namespace FaceCluster.Hosting;

/// <summary>Start, then poll: how clients (the command line, the HTTP API) follow a run.</summary>
public static class RunClientExtensions
{
    /// <summary>How long a follower keeps asking while the run's coordinator does not answer.</summary>
    public static readonly TimeSpan LostContactLimit = TimeSpan.FromMinutes(5);

    /// <summary>The default time between two status polls.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Whether <paramref name="state"/> is final.</summary>
    public static bool IsFinished(this RunState state) => state is RunState.Completed or RunState.Failed or RunState.Cancelled;

    /// <summary>
    /// Polls the run until it completes, fails or is cancelled, reporting each status to <paramref name="progress"/>.
    /// When <paramref name="cancellationToken"/> fires, cancels the run (unless <paramref name="cancelOnStop"/> is false:
    /// then the run is left as it is, for a later follower to resume) and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <returns>The final status.</returns>
    public static async Task<RunStatus> WaitForRunAsync(
        this IGrainFactory grains,
        string runId,
        IProgress<RunStatus>? progress = null,
        TimeSpan? pollInterval = null,
        bool cancelOnStop = true,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var coordinator = grains.GetGrain<IRunCoordinatorGrain>(runId);
        var interval = pollInterval ?? DefaultPollInterval;
        try
        {
            var lostSince = (DateTime?)null;
            while (true)
            {
                RunStatus status;
                try
                {
                    status = await coordinator.GetStatus().ConfigureAwait(false);
                    lostSince = null;
                }
                catch (Exception e) when (e is OrleansException or TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    // The coordinator's silo died: until the cluster declares it dead, calls fail; then the run resumes elsewhere.
                    lostSince ??= DateTime.UtcNow;
                    if (DateTime.UtcNow - lostSince > LostContactLimit)
                    {
                        throw;
                    }

                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                progress?.Report(status);
                if (status.State.IsFinished())
                {
                    return status;
                }

                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && cancelOnStop)
        {
            var status = await coordinator.Cancel().ConfigureAwait(false);
            progress?.Report(status);
            throw;
        }
    }
}
