using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using FaceCluster.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceCluster.Grains;

/// <summary>
/// Computes the ranges that this silo's workers accept, <see cref="FaceClusterClusterOptions.EffectiveWorkerSlots"/> at a
/// time (their arithmetic on dedicated threads, never on the threads that run grains), and reports each outcome to the
/// run's coordinator.
/// When the silo stops, running ranges are abandoned: the coordinator sees the silo die and reassigns them.
/// </summary>
public sealed partial class SiloWorkExecutor : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly TimeSpan CancelCheck = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan[] ReportBackoff = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];

    private readonly FaceClusterClusterOptions _options;
    private readonly IGrainFactory _grains;
    private readonly SiloAddress _silo;
    private readonly RunKindRegistry _kinds;
    private readonly IRangeObserver[] _observers;
    private readonly ILogger<SiloWorkExecutor> _logger;
    private readonly Channel<WorkRange> _queue = Channel.CreateUnbounded<WorkRange>();
    private readonly ConcurrentDictionary<(string RunId, string Stage, int First, int Attempt), byte> _pending = new();
    private readonly ConcurrentDictionary<string, Task<RunRequest>> _requests = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _startLock = new();
    private Task[]? _loops;

    /// <summary>Creates the executor of one silo.</summary>
    public SiloWorkExecutor(
        IOptions<FaceClusterClusterOptions> options,
        IGrainFactory grains,
        ILocalSiloDetails silo,
        RunKindRegistry kinds,
        IEnumerable<IRangeObserver> observers,
        ILogger<SiloWorkExecutor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(silo);
        _options = options.Value;
        _grains = grains;
        _silo = silo.SiloAddress;
        _kinds = kinds;
        _observers = observers.ToArray();
        _logger = logger;
        FaceClusterTelemetry.TrackExecutor(this);
    }

    /// <summary>Ranges computed at once.</summary>
    public int Slots => _options.EffectiveWorkerSlots;

    /// <summary>Ranges queued or running.</summary>
    public int Queued => _pending.Count;

    /// <summary>This silo.</summary>
    public SiloAddress Silo => _silo;

    /// <summary>
    /// Queues <paramref name="range"/> (an attempt already queued here is not queued twice; a later attempt is, even while
    /// an earlier one is stuck) and returns at once.
    /// </summary>
    public RangeAccepted Accept(WorkRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        if (_stopping.IsCancellationRequested)
        {
            throw new InvalidOperationException($"Silo {_silo} is stopping and accepts no more work.");
        }

        EnsureStarted();
        if (_pending.TryAdd((range.RunId, range.Stage, range.First, range.Attempt), 0) && !_queue.Writer.TryWrite(range))
        {
            _pending.TryRemove((range.RunId, range.Stage, range.First, range.Attempt), out _);
            throw new InvalidOperationException($"Silo {_silo} is stopping and accepts no more work.");
        }

        return new RangeAccepted(_silo, Slots, _pending.Count);
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);

        // Work stops as soon as the silo begins to shut down, before grains are deactivated.
        lifecycle.Subscribe(
            nameof(SiloWorkExecutor),
            ServiceLifecycleStage.Active,
            _ => Task.CompletedTask,
            _ =>
            {
                Stop();
                return Task.CompletedTask;
            });
    }

    /// <summary>Abandons running ranges and stops the threads.</summary>
    public void Stop()
    {
        if (!_stopping.IsCancellationRequested)
        {
            _stopping.Cancel();
            _queue.Writer.TryComplete();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        _stopping.Dispose();
    }

    private void EnsureStarted()
    {
        if (_loops is not null)
        {
            return;
        }

        lock (_startLock)
        {
            _loops ??= Enumerable.Range(0, Slots).Select(_ => Task.Run(WorkLoopAsync)).ToArray();
        }
    }

    private async Task WorkLoopAsync()
    {
        try
        {
            await foreach (var range in _queue.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                // The slot is busy while the range computes; writing its shard (with a flush to disk) and reporting
                // happen beside the next range, so a slow disk does not leave a core idle.
                _ = await ProcessAsync(range).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    /// <summary>Computes <paramref name="range"/>; returns the task that writes its shard and reports it.</summary>
    private async Task<Task> ProcessAsync(WorkRange range)
    {
        var watch = Stopwatch.StartNew();
        Func<CancellationToken, Task>? write = null;

        // A long range (training) stops when its run is cancelled, not only when the silo stops.
        using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var token = cancelled.Token;
        RunFiles? files = null;
        using var watcher = new Timer(_ => CancelIfRunCancelled(files, cancelled), null, CancelCheck, CancelCheck);
        try
        {
            files = new RunFiles(_options.DataRoot, range.RunId);
            if (files.IsCancelled)
            {
                return Finish(range, watch, RangeOutcome.Abandoned, null);
            }

            var request = await RequestOf(files, token).ConfigureAwait(false);
            var kind = _kinds.Get(request.Kind);
            foreach (var observer in _observers)
            {
                await observer.OnRangeStartingAsync(range, _silo, token).ConfigureAwait(false);
            }

            if (File.Exists(kind.ShardOf(files, request, range.Stage, range.First, range.Count)))
            {
                return Finish(range, watch, RangeOutcome.AlreadyPresent, null);
            }

            Directory.CreateDirectory(files.Shards);
            var progress = new ProgressReporter(_grains.GetGrain<IRunCoordinatorGrain>(range.RunId), range);
            write = await kind.ComputeAsync(new RangeWork(files, request, range, progress), token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Finish(range, watch, Classify(range, e, out var reason), reason);
        }

        var stopping = _stopping.Token;
        return Task.Run(
            async () =>
            {
                try
                {
                    await write(stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    await Finish(range, watch, Classify(range, e, out var reason), reason).ConfigureAwait(false);
                    return;
                }

                await Finish(range, watch, RangeOutcome.Computed, null).ConfigureAwait(false);
            },
            CancellationToken.None);
    }

    /// <summary>The range watcher's tick: a cancelled run stops its range at the next check of its token.</summary>
    private static void CancelIfRunCancelled(RunFiles? files, CancellationTokenSource range)
    {
        try
        {
            if (files?.IsCancelled == true)
            {
                range.Cancel();
            }
        }
        catch (ObjectDisposedException)
        {
            // A tick that raced the end of the range: nothing is left to stop.
        }
    }

    private RangeOutcome Classify(WorkRange range, Exception exception, out string? reason)
    {
        switch (exception)
        {
            case OperationCanceledException:
                reason = null;
                return RangeOutcome.Abandoned;
            case InvalidInputException:
                reason = exception.Message;
                return RangeOutcome.Rejected;
            default:
                reason = $"{exception.GetType().Name}: {exception.Message}";
                LogRangeFailed(range.RunId, range.Stage, range.First, range.Count, exception);
                return RangeOutcome.Failed;
        }
    }

    /// <summary>Tells the observers, frees the range's place in this silo's queue, and reports to the coordinator.</summary>
    private Task Finish(WorkRange range, Stopwatch watch, RangeOutcome outcome, string? reason)
    {
        foreach (var observer in _observers)
        {
            observer.OnRangeFinished(range, _silo, outcome, watch.Elapsed);
        }

        _pending.TryRemove((range.RunId, range.Stage, range.First, range.Attempt), out _);
        return outcome == RangeOutcome.Abandoned ? Task.CompletedTask : ReportAsync(range, outcome, reason);
    }

    private Task<RunRequest> RequestOf(RunFiles files, CancellationToken cancellationToken)
    {
        var task = _requests.GetOrAdd(files.RunId, _ => files.ReadRequestAsync(CancellationToken.None));
        if (task.IsFaulted)
        {
            _requests.TryRemove(new KeyValuePair<string, Task<RunRequest>>(files.RunId, task));
        }

        return task.WaitAsync(cancellationToken);
    }

    private async Task ReportAsync(WorkRange range, RangeOutcome outcome, string? reason)
    {
        var coordinator = _grains.GetGrain<IRunCoordinatorGrain>(range.RunId);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var report = outcome switch
                {
                    RangeOutcome.Computed or RangeOutcome.AlreadyPresent => coordinator.RangeCompleted(range),
                    RangeOutcome.Rejected => coordinator.RangeRejected(range, reason!),
                    _ => coordinator.RangeFailed(range, reason!),
                };
                await report.ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException && attempt < ReportBackoff.Length && !_stopping.IsCancellationRequested)
            {
                // The coordinator may be moving to another silo; it also finds finished shards by itself.
                LogReportRetry(range.RunId, range.Stage, range.First, e.Message);
                await Task.Delay(ReportBackoff[attempt]).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogReportLost(range.RunId, range.Stage, range.First, e.Message);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: range {Stage} [{First}, +{Count}) failed")]
    private partial void LogRangeFailed(string runId, string stage, int first, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: reporting range {Stage} {First} failed ({Reason}); retrying")]
    private partial void LogReportRetry(string runId, string stage, int first, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: could not report range {Stage} {First} ({Reason}); the coordinator will find its shard or reassign it")]
    private partial void LogReportLost(string runId, string stage, int first, string reason);

    /// <summary>Sends a range's progress to its coordinator, at most once a second, never waiting for it.</summary>
    private sealed class ProgressReporter(IRunCoordinatorGrain coordinator, WorkRange range) : IProgress<RangeProgress>
    {
        private long _last;

        public void Report(RangeProgress value)
        {
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _last);
            if ((now - last < 1000 && value.Done < value.Total) || Interlocked.CompareExchange(ref _last, now, last) != last)
            {
                return;
            }

            // Progress is advisory: a lost report changes nothing but what a status shows for a second.
            _ = coordinator.RangeProgress(range, value).AsTask().ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
    }
}
