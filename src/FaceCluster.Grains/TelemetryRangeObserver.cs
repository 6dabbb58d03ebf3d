using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace FaceCluster.Grains;

/// <summary>
/// The telemetry of a silo's ranges (<see cref="FaceClusterTelemetry"/>): a <c>range</c> span per attempt, the
/// running-ranges gauge, completed folds and replicates, and the bytes their shards (or outputs) take.
/// </summary>
public sealed class TelemetryRangeObserver(IOptions<FaceClusterClusterOptions> options, RunKindRegistry kinds) : IRangeObserver
{
    private readonly string _dataRoot = options.Value.DataRoot;
    private readonly RunKindRegistry _kinds = kinds;
    private readonly ConcurrentDictionary<WorkRange, Activity?> _inFlight = new();

    /// <inheritdoc />
    public ValueTask OnRangeStartingAsync(WorkRange range, SiloAddress silo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        var activity = FaceClusterTelemetry.StartDetached("range", range.RunId);
        activity?.SetTag("facecluster.stage", range.Stage)
            .SetTag("facecluster.range.first", range.First)
            .SetTag("facecluster.range.count", range.Count)
            .SetTag("facecluster.range.attempt", range.Attempt)
            .SetTag("facecluster.silo", silo?.ToString());
        if (_inFlight.TryAdd(range, activity))
        {
            FaceClusterTelemetry.RangeStarted();
        }
        else
        {
            activity?.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void OnRangeFinished(WorkRange range, SiloAddress silo, RangeOutcome outcome, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(range);
        var outcomeName = outcome.ToString().ToLowerInvariant();
        FaceClusterTelemetry.RangesFinished.Add(
            1,
            new KeyValuePair<string, object?>("facecluster.stage", range.Stage),
            new KeyValuePair<string, object?>("facecluster.outcome", outcomeName));
        if (outcome == RangeOutcome.Computed)
        {
            switch (range.Stage)
            {
                case PpcaStages.Replicates:
                    FaceClusterTelemetry.ReplicatesCompleted.Add(range.Count);
                    break;
                case PpcaStages.LeaveOneOut:
                    FaceClusterTelemetry.FoldsCompleted.Add(range.Count);
                    break;
            }

            var bytes = BytesOf(range);
            if (bytes > 0)
            {
                FaceClusterTelemetry.BytesWritten.Add(bytes, new KeyValuePair<string, object?>("facecluster.stage", range.Stage));
            }
        }

        if (_inFlight.TryRemove(range, out var activity))
        {
            FaceClusterTelemetry.RangeEnded();
            if (activity is not null)
            {
                activity.SetTag("facecluster.outcome", outcomeName);
                if (outcome is RangeOutcome.Failed or RangeOutcome.Rejected)
                {
                    activity.SetStatus(ActivityStatusCode.Error);
                }

                activity.Dispose();
            }
        }
    }

    /// <summary>The bytes of what the range wrote, as its run's kind lists them.</summary>
    private long BytesOf(WorkRange range)
    {
        try
        {
            var files = new RunFiles(_dataRoot, range.RunId);
            var request = files.ReadRequest();
            return _kinds.Find(request.Kind)?.FilesOf(files, request, range.Stage, range.First, range.Count).Sum(SizeOf) ?? 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.Text.Json.JsonException)
        {
            return 0;
        }
    }

    private static long SizeOf(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? info.Length : 0;
    }
}
