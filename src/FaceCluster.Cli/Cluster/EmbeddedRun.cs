using System.Globalization;
using System.Text.Json;
using FaceCluster.Cli.Commands;
using FaceCluster.Cli.Progress;
using FaceCluster.Grains;
using FaceCluster.Hosting;
using FaceCluster.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace FaceCluster.Cli.Cluster;

/// <summary>
/// Runs one analysis through an embedded cluster (an in-process silo and its client): stages the checked inputs under the
/// data root, submits the run, shows its progress by polling, cancels it on Ctrl+C, and copies the outputs into the
/// command's staging folder.
/// </summary>
internal static class EmbeddedRun
{
    /// <summary>The environment variable that sets the default data root of the embedded cluster.</summary>
    public const string DataRootVariable = "FACECLUSTER_DATA_ROOT";

    /// <summary>The environment variable that names a running cluster to submit to: <c>redis://HOST:PORT/CLUSTER_ID</c>.</summary>
    public const string ClusterVariable = "FACECLUSTER_CLUSTER";

    /// <summary>
    /// Runs the analysis that <paramref name="prepare"/> describes (it writes the inputs under the run's folder and returns
    /// the request) and copies its outputs into <paramref name="stagingFolder"/>.
    /// </summary>
    /// <param name="context">Where progress goes.</param>
    /// <param name="execution">The data root (or null for a temporary one removed at the end) and the cluster to submit to
    /// (or null, and no <c>FACECLUSTER_CLUSTER</c>, for an embedded one).</param>
    /// <param name="threads">Worker slots and threads (0: all cores).</param>
    /// <param name="prepare">Writes the inputs under <c>(data root, run id)</c> and returns the request.</param>
    /// <param name="stagingFolder">Receives the output files; null when the run writes them where they belong itself.</param>
    /// <param name="cancellationToken">Ctrl+C: cancels the run, then throws <see cref="OperationCanceledException"/>.</param>
    public static async Task RunAsync(
        CliContext context,
        Execution execution,
        int threads,
        Func<string, string, CancellationToken, Task<RunRequest>> prepare,
        string? stagingFolder,
        CancellationToken cancellationToken)
    {
        var dataRoot = execution.DataRoot ?? (Environment.GetEnvironmentVariable(DataRootVariable) is { Length: > 0 } configured ? configured : null);
        var address = ClusterAddress(execution.Cluster);
        if (address is not null)
        {
            await RunOnClusterAsync(context, address, dataRoot, prepare, stagingFolder, cancellationToken).ConfigureAwait(false);
            return;
        }

        var temporary = dataRoot is null;
        var root = temporary ? Directory.CreateTempSubdirectory("facecluster-embedded-").FullName : Path.GetFullPath(dataRoot!);
        try
        {
            var runId = NewRunId();
            var request = await prepare(root, runId, cancellationToken).ConfigureAwait(false);
            var cluster = await EmbeddedCluster.StartAsync(root, options => options.WorkerSlots = threads, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (cluster.ConfigureAwait(false))
            {
                await SubmitAndWaitAsync(context, cluster.Client, runId, request, cancellationToken).ConfigureAwait(false);
            }

            CopyOutputs(root, request, stagingFolder);
        }
        finally
        {
            if (temporary)
            {
                TryDelete(root);
            }
        }
    }

    private static async Task RunOnClusterAsync(
        CliContext context,
        string address,
        string? dataRoot,
        Func<string, string, CancellationToken, Task<RunRequest>> prepare,
        string? stagingFolder,
        CancellationToken cancellationToken)
    {
        var options = ParseClusterAddress(address);
        if (dataRoot is null)
        {
            throw new InvalidInputException(
                $"submitting to {address} needs --data-root (or ${DataRootVariable}): the data root the cluster's silos share, at the same path here");
        }

        var root = Path.GetFullPath(dataRoot);
        var runId = NewRunId();
        var request = await prepare(root, runId, cancellationToken).ConfigureAwait(false);
        await WithClusterClientAsync(
            options,
            async client =>
            {
                await SubmitAndWaitAsync(context, client, runId, request, cancellationToken).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
        CopyOutputs(root, request, stagingFolder);
    }

    /// <summary>The cluster to submit to: <paramref name="option"/> (<c>--cluster</c>), else <c>FACECLUSTER_CLUSTER</c>, else null (embedded).</summary>
    public static string? ClusterAddress(string? option) =>
        option ?? (Environment.GetEnvironmentVariable(ClusterVariable) is { Length: > 0 } named ? named : null);

    /// <summary>The Redis options of <c>redis://HOST:PORT/CLUSTER_ID</c>; a malformed address is bad input.</summary>
    public static FaceClusterRedisOptions ParseClusterAddress(string address)
    {
        try
        {
            return FaceClusterRedisOptions.ParseClusterAddress(address);
        }
        catch (FormatException e)
        {
            throw new InvalidInputException(e.Message);
        }
    }

    /// <summary>Runs <paramref name="use"/> with a client of the cluster <paramref name="options"/> names, then stops the client.</summary>
    public static async Task<T> WithClusterClientAsync<T>(FaceClusterRedisOptions options, Func<IClusterClient, Task<T>> use, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(use);
        using var host = await FaceClusterRedisExtensions.StartRedisClientAsync(options, cancellationToken).ConfigureAwait(false);
        try
        {
            return await use(host.Services.GetRequiredService<IClusterClient>()).ConfigureAwait(false);
        }
        finally
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
    }

    private static string NewRunId() =>
        string.Create(CultureInfo.InvariantCulture, $"analyze-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}")[..40];

    private static async Task SubmitAndWaitAsync(CliContext context, IClusterClient client, string runId, RunRequest request, CancellationToken cancellationToken)
    {
        await client.GetGrain<IRunCoordinatorGrain>(runId).Start(request).ConfigureAwait(false);
        var status = await context.Progress.RunAsync(async reporter =>
        {
            using var progress = new StatusProgress(reporter);
            return await client.WaitForRunAsync(runId, progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        if (status.State != RunState.Completed)
        {
            throw new InvalidOperationException($"the run {status.State.ToString().ToLowerInvariant()}: {status.Error}");
        }
    }

    private static void CopyOutputs(string root, RunRequest request, string? stagingFolder)
    {
        if (stagingFolder is null)
        {
            return;
        }

        var output = DataRootPaths.Resolve(root, request.OutputPath);
        foreach (var file in Directory.EnumerateFiles(output))
        {
            File.Copy(file, Path.Combine(stagingFolder, Path.GetFileName(file)), overwrite: true);
        }
    }

    /// <summary>Reads <c>summary.json</c> of an output folder.</summary>
    public static async Task<JsonDocument> ReadSummaryAsync(string folder, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(Path.Combine(folder, "summary.json"));
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary folder is harmless; the run's own outcome matters more.
        }
    }

    /// <summary>Shows each stage of a run as a progress step, advanced from polled statuses.</summary>
    private sealed class StatusProgress(IProgressReporter reporter) : IProgress<RunStatus>, IDisposable
    {
        private string? _stage;
        private IProgressStep? _step;
        private long _done;

        public void Report(RunStatus value)
        {
            if (value.Stage.Length == 0)
            {
                return;
            }

            if (value.Stage != _stage)
            {
                if (_step is not null)
                {
                    _step.Advance(Math.Max(0, StageTotal - _done));
                    _step.Dispose();
                }

                _stage = value.Stage;
                _step = reporter.Start(value.Stage, value.TotalUnits);
                StageTotal = value.TotalUnits;
                _done = 0;
            }

            if (value.CompletedUnits > _done)
            {
                _step!.Advance(value.CompletedUnits - _done);
                _done = value.CompletedUnits;
            }

            if (value.State == RunState.Completed && _step is not null)
            {
                _step.Advance(Math.Max(0, StageTotal - _done));
                _done = StageTotal;
            }
        }

        private long StageTotal { get; set; }

        public void Dispose() => _step?.Dispose();
    }
}
