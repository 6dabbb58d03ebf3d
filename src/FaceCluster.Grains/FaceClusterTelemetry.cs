using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace FaceCluster.Grains;

/// <summary>
/// The traces and metrics of FaceCluster: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <see cref="Name"/>. Without a listener (OpenTelemetry, <c>dotnet-counters</c>) every call here costs next to nothing.
/// </summary>
/// <remarks>
/// Spans: <c>run</c> (submitted to finished, emitted when the run finishes), <c>stage</c> (emitted when the stage
/// completes) and <c>range</c> (one per attempt, on the silo that computes it). The spans of a run share a trace id
/// derived from the run id, so a tracing back end shows a run's stages and ranges together whichever silo emitted
/// them. Metrics: see the instrument names below.
/// </remarks>
public static class FaceClusterTelemetry
{
    /// <summary>The name of the activity source and the meter.</summary>
    public const string Name = "FaceCluster";

    private static readonly ConditionalWeakTable<SiloWorkExecutor, object> Executors = [];
    private static int _running;
    private static int _activeRuns = -1;

    /// <summary>The source of the <c>run</c>, <c>stage</c> and <c>range</c> spans.</summary>
    public static readonly ActivitySource Source = new(Name, typeof(FaceClusterTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>The meter of every FaceCluster instrument.</summary>
    public static readonly Meter Meter = new(Name, typeof(FaceClusterTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Replicates whose range was computed (a rate gives replicates per second).</summary>
    public static readonly Counter<long> ReplicatesCompleted =
        Meter.CreateCounter<long>("facecluster.replicates.completed", "{replicate}", "Loading-significance replicates computed.");

    /// <summary>Leave-one-out folds whose range was computed (a rate gives folds per second).</summary>
    public static readonly Counter<long> FoldsCompleted =
        Meter.CreateCounter<long>("facecluster.folds.completed", "{fold}", "Leave-one-out folds computed.");

    /// <summary>Bytes of shards and outputs written by computed ranges.</summary>
    public static readonly Counter<long> BytesWritten =
        Meter.CreateCounter<long>("facecluster.bytes.written", "By", "Bytes of shards and outputs written.");

    /// <summary>Ranges computed, by stage and outcome.</summary>
    public static readonly Counter<long> RangesFinished =
        Meter.CreateCounter<long>("facecluster.ranges.finished", "{range}", "Range attempts ended, by stage and outcome.");

    /// <summary>Seconds from submission to completion, failure or cancellation, by kind and final state.</summary>
    public static readonly Histogram<double> RunDuration =
        Meter.CreateHistogram<double>("facecluster.run.duration", "s", "Run duration from submission to its final state.");

    /// <summary>
    /// Images of a crop run's <c>crop</c> stage processed, by <c>facecluster.crop_status</c> (the crop record's status:
    /// <c>ok</c>, <c>no_face</c>, <c>fallback_box</c>, or why the image could not be read); a rate gives crops per second.
    /// </summary>
    public static readonly Counter<long> CropsCompleted =
        Meter.CreateCounter<long>("facecluster.crops.completed", "{image}", "Images of the crop stage processed, by crop status.");

    /// <summary>Mimics (faces) trained on, one batch at a time (a rate gives faces per second in training).</summary>
    public static readonly Counter<long> TrainingFaces =
        Meter.CreateCounter<long>("facecluster.training.faces", "{face}", "Faces trained on (the mimics of every training batch).");

    /// <summary>
    /// The training loss (MSE) of the last batch trained on this process, by <c>facecluster.stage</c> only: no run id,
    /// so the series count stays fixed however many runs train (the run's whole loss curve is its <c>loss.parquet</c>).
    /// </summary>
    public static readonly Gauge<double> TrainingLoss =
        Meter.CreateGauge<double>("facecluster.training.loss", null, "Training loss (MSE) of the last batch trained on this process.");

    /// <summary>Training batches (optimizer steps) done on this process.</summary>
    public static readonly Counter<long> TrainingSteps =
        Meter.CreateCounter<long>("facecluster.training.steps", "{batch}", "Training batches (optimizer steps) done.");

    /// <summary>Faces (crops) a prediction range ran the model on (a rate gives prediction throughput).</summary>
    public static readonly Counter<long> PredictionsCompleted =
        Meter.CreateCounter<long>("facecluster.predictions.completed", "{face}", "Faces the model predicted, in prediction ranges.");

    static FaceClusterTelemetry()
    {
        Meter.CreateObservableGauge("facecluster.ranges.running", () => Volatile.Read(ref _running), "{range}", "Ranges being computed on this process's silos.");
        Meter.CreateObservableGauge("facecluster.ranges.queued", QueuedRanges, "{range}", "Ranges accepted by this process's silos and waiting for a worker slot.");
        Meter.CreateObservableGauge("facecluster.runs.active", ActiveRuns, "{run}", "Unfinished runs of the whole cluster (the run registry's count).");
    }

    /// <summary>The trace id of every span of <paramref name="runId"/>.</summary>
    public static ActivityTraceId TraceIdOf(string runId) =>
        ActivityTraceId.CreateFromBytes(SHA256.HashData(Encoding.UTF8.GetBytes(runId)).AsSpan(0, 16));

    /// <summary>The parent context of a run's stage and range spans (same trace as the run span).</summary>
    public static ActivityContext ContextOf(string runId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("run:" + runId));
        return new ActivityContext(TraceIdOf(runId), ActivitySpanId.CreateFromBytes(hash.AsSpan(0, 8)), ActivityTraceFlags.Recorded, isRemote: true);
    }

    /// <summary>Starts a span without making it <see cref="Activity.Current"/> (spans here outlive the calling flow).</summary>
    internal static Activity? StartDetached(string name, string runId, DateTimeOffset startTime = default)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        var activity = Source.StartActivity(name, ActivityKind.Internal, ContextOf(runId), startTime: startTime);
        Activity.Current = previous;
        activity?.SetTag("facecluster.run_id", runId);
        return activity;
    }

    /// <summary>Emits a finished span.</summary>
    internal static void EmitSpan(string name, string runId, DateTimeOffset start, DateTimeOffset end, IEnumerable<KeyValuePair<string, object?>> tags, bool error = false)
    {
        using var activity = StartDetached(name, runId, start);
        if (activity is null)
        {
            return;
        }

        foreach (var (key, value) in tags)
        {
            activity.SetTag(key, value);
        }

        if (error)
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }

        activity.SetEndTime(end.UtcDateTime);
    }

    /// <summary>
    /// Sets the <c>facecluster.runs.active</c> gauge: the cluster's unfinished runs as the run registry counts them (a
    /// monitor in each process that exports telemetry asks the registry periodically). Until the first count the gauge
    /// reports nothing.
    /// </summary>
    internal static void SetActiveRuns(int count) => Volatile.Write(ref _activeRuns, Math.Max(0, count));

    private static IEnumerable<Measurement<int>> ActiveRuns()
    {
        var count = Volatile.Read(ref _activeRuns);
        return count < 0 ? [] : [new Measurement<int>(count)];
    }

    internal static void TrackExecutor(SiloWorkExecutor executor) => Executors.AddOrUpdate(executor, executor);

    internal static void RangeStarted() => Interlocked.Increment(ref _running);

    internal static void RangeEnded() => Interlocked.Decrement(ref _running);

    private static int QueuedRanges()
    {
        var queued = 0;
        foreach (var (executor, _) in Executors)
        {
            queued += executor.Queued;
        }

        return Math.Max(0, queued - Volatile.Read(ref _running));
    }
}
