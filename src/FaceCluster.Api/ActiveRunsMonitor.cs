using FaceCluster.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceCluster.Api;

/// <summary>Settings of the telemetry of a FaceCluster process (configuration section <c>FaceCluster:Telemetry</c>).</summary>
public sealed class FaceClusterTelemetryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "FaceCluster:Telemetry";

    /// <summary>How often the <c>facecluster.runs.active</c> gauge asks the run registry for the cluster's unfinished runs.</summary>
    public TimeSpan ActiveRunsInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Checks <see cref="FaceClusterTelemetryOptions"/> at start-up, naming every problem.</summary>
public sealed class FaceClusterTelemetryOptionsValidator : IValidateOptions<FaceClusterTelemetryOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FaceClusterTelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ActiveRunsInterval <= TimeSpan.Zero || options.ActiveRunsInterval > TimeSpan.FromHours(1)
            ? ValidateOptionsResult.Fail(
                $"{FaceClusterTelemetryOptions.SectionName}:{nameof(FaceClusterTelemetryOptions.ActiveRunsInterval)} must lie in (0, 1 h], got {options.ActiveRunsInterval}")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>
/// Keeps the <c>facecluster.runs.active</c> gauge at the number of unfinished runs of the whole cluster: every
/// <see cref="FaceClusterTelemetryOptions.ActiveRunsInterval"/> it asks the run registry (one grain for the cluster)
/// through this process's grain factory. While the registry does not answer, the gauge keeps its last count.
/// </summary>
internal sealed partial class ActiveRunsMonitor(
    IGrainFactory grains,
    IOptions<FaceClusterTelemetryOptions> options,
    ILogger<ActiveRunsMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ActiveRunsInterval);
        try
        {
            do
            {
                try
                {
                    var unfinished = await grains.GetGrain<IRunRegistryGrain>(0).ListUnfinished().AsTask().WaitAsync(stoppingToken).ConfigureAwait(false);
                    FaceClusterTelemetry.SetActiveRuns(unfinished.Count);
                }
                catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
                {
                    // The cluster may still be starting, or the registry moving to another silo: ask again next time.
                    LogRegistryUnavailable(e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The process is stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Active runs: the run registry did not answer ({Reason}); the gauge keeps its last count")]
    private partial void LogRegistryUnavailable(string reason);
}
