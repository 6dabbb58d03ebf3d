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
    /// <param name="kind">The run's kind (its id starts with it).</param>
    /// <param name="prepare">Writes the inputs under <c>(data root, run id)</c> and returns the request.</param>
    /// <param name="stagingFolder">Receives the output files; null when the run writes them where they belong itself.</param>
    /// <param name="cancellationToken">Ctrl+C: cancels the run, then throws <see cref="OperationCanceledException"/>.</param>
    /// <param name="resume">Given the data root, the id of an unfinished run to follow again when its request is the same
    /// (one whose client was killed or stopped); null starts a new run, and Ctrl+C then cancels it. With it, Ctrl+C stops
    /// following and leaves the run to be resumed.</param>
    public static async Task RunAsync(
        CliContext context,
        Execution execution,
        int threads,
        string kind,
        Func<string, string, CancellationToken, Task<RunRequest>> prepare,
        string? stagingFolder,
        CancellationToken cancellationToken,
        Func<string, string?>? resume = null)
    {
        var dataRoot = execution.DataRoot ?? (Environment.GetEnvironmentVariable(DataRootVariable) is { Length: > 0 } configured ? configured : null);
        var address = ClusterAddress(execution.Cluster);
        if (address is not null)
        {
            await RunOnClusterAsync(context, address, dataRoot, kind, prepare, stagingFolder, resume, cancellationToken).ConfigureAwait(false);
            return;
        }

        var temporary = dataRoot is null;
        var root = temporary ? Directory.CreateTempSubdirectory("facecluster-embedded-").FullName : Path.GetFullPath(dataRoot!);
        try
        {
            var cluster = await EmbeddedCluster.StartAsync(root, options => options.WorkerSlots = threads, cancellationToken: cancellationToken).ConfigureAwait(false);
            RunRequest request;
            await using (cluster.ConfigureAwait(false))
            {
                request = await SubmitAndWaitAsync(context, cluster.Client, root, kind, prepare, resume, cancellationToken).ConfigureAwait(false);
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
        string kind,
        Func<string, string, CancellationToken, Task<RunRequest>> prepare,
        string? stagingFolder,
        Func<string, string?>? resume,
        CancellationToken cancellationToken)
    {
        var options = ParseClusterAddress(address);
        if (dataRoot is null)
        {
            throw new InvalidInputException(
                $"submitting to {address} needs --data-root (or ${DataRootVariable}): the data root the cluster's silos share, at the same path here");
        }

        var root = Path.GetFullPath(dataRoot);
        var request = await WithClusterClientAsync(
            options,
            client => SubmitAndWaitAsync(context, client, root, kind, prepare, resume, cancellationToken),
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

    /// <summary>A new run id that says its kind: <c>{kind}-{UTC time}-{random}</c>.</summary>
    public static string NewRunId(string kind) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..12]}");

    /// <summary>
    /// <paramref name="path"/> relative to the data root: as it is when it lies under it, else (embedded cluster only) through
    /// the link <paramref name="name"/> in <paramref name="linkFolder"/> (data-root relative: a run's <c>inputs/</c>, or a
    /// fixed folder where the reference must not change from run to run), so that the study is read and the crops written
    /// where the user named them.
    /// </summary>
    public static string Reference(string root, string linkFolder, string path, string name, bool onCluster)
    {
        var relative = Path.GetRelativePath(root, path);
        if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
        {
            return relative.Replace(Path.DirectorySeparatorChar, '/');
        }

        if (onCluster)
        {
            throw new InvalidInputException($"{path}: must lie under the cluster's data root {root}, which every silo shares");
        }

        var link = $"{linkFolder}/{name}";
        var full = DataRootPaths.Resolve(root, link);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (new FileInfo(full).LinkTarget != path)
        {
            File.Delete(full);
            Directory.CreateSymbolicLink(full, path);
        }

        return link;
    }

    /// <summary>
    /// Starts the run (or follows the unfinished one <paramref name="resume"/> names, when its request is the same), shows
    /// its progress until it ends and returns its request; a run that did not complete is thrown.
    /// </summary>
    private static async Task<RunRequest> SubmitAndWaitAsync(
        CliContext context,
        IClusterClient client,
        string root,
        string kind,
        Func<string, string, CancellationToken, Task<RunRequest>> prepare,
        Func<string, string?>? resume,
        CancellationToken cancellationToken)
    {
        string runId;
        RunRequest request;
        if (resume?.Invoke(root) is { } earlier && RunPaths.IsValidRunId(earlier) && await TryResumeAsync(client, root, earlier, prepare, cancellationToken).ConfigureAwait(false) is { } same)
        {
            (runId, request) = (earlier, same);
            await context.Error.WriteLineAsync($"resuming run {runId}").ConfigureAwait(false);
        }
        else
        {
            runId = NewRunId(kind);
            request = await prepare(root, runId, cancellationToken).ConfigureAwait(false);
            await client.GetGrain<IRunCoordinatorGrain>(runId).Start(request).ConfigureAwait(false);
        }

        // A run that can be resumed is stopped by Ctrl+C, not cancelled: the same command takes it up where it was.
        RunStatus status;
        try
        {
            status = await context.Progress.RunAsync(async reporter =>
            {
                using var progress = new StatusProgress(reporter);
                return await client.WaitForRunAsync(runId, progress, cancellationToken: cancellationToken, cancelOnStop: resume is null).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (resume is not null && cancellationToken.IsCancellationRequested)
        {
            await context.Error.WriteLineAsync($"stopped run {runId}: the same command resumes it (finished ranges are kept)").ConfigureAwait(false);
            throw;
        }

        if (status.State != RunState.Completed)
        {
            // A run refused by its inputs is the user's to fix (exit 2); anything else is the cluster's (exit 1).
            throw status.BadInput
                ? new InvalidInputException(status.Error ?? "the run failed on its inputs")
                : new InvalidOperationException($"the run {status.State.ToString().ToLowerInvariant()}: {status.Error}");
        }

        return request;
    }

    /// <summary>The request of the unfinished run <paramref name="runId"/> when the same one is asked for now; else null (it is cancelled).</summary>
    private static async Task<RunRequest?> TryResumeAsync(
        IClusterClient client, string root, string runId, Func<string, string, CancellationToken, Task<RunRequest>> prepare, CancellationToken cancellationToken)
    {
        var coordinator = client.GetGrain<IRunCoordinatorGrain>(runId);
        var report = await coordinator.GetReport().ConfigureAwait(false);
        if (report.Request is null || report.Status.State.IsFinished())
        {
            return null;
        }

        var request = await prepare(root, runId, cancellationToken).ConfigureAwait(false);
        if (request == report.Request)
        {
            await coordinator.Wake().ConfigureAwait(false);
            return request;
        }

        await coordinator.Cancel().ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// The newest run of <paramref name="kind"/> under <paramref name="root"/> that has not finished (its run folder has a
    /// request but no record of its end), or null.
    /// </summary>
    public static string? LatestUnfinishedRun(string root, string kind)
    {
        var runs = new DirectoryInfo(Path.Combine(root, RunPaths.Runs));
        if (!runs.Exists)
        {
            return null;
        }

        return runs.EnumerateDirectories()
            .Where(d => RunPaths.IsValidRunId(d.Name) && d.Name.StartsWith(kind + "-", StringComparison.Ordinal))
            .Select(d => new RunFiles(root, d.Name))
            .Where(f => f.IsUnfinishedOnDisk)
            .OrderByDescending(f => File.GetLastWriteTimeUtc(f.Request))
            .Select(f => f.RunId)
            .FirstOrDefault();
    }

    private static void CopyOutputs(string root, RunRequest request, string? stagingFolder)
    {
        if (stagingFolder is null)
        {
            return;
        }

        var output = DataRootPaths.Resolve(root, request.OutputPath, allowRoot: true);
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

            var stage = value.Detail is { } detail && value.Kind == "pipeline" ? $"{value.Stage}: {detail.Split(':')[0]}" : value.Stage;
            if (stage != _stage || value.TotalUnits != StageTotal)
            {
                if (_step is not null)
                {
                    _step.Advance(Math.Max(0, StageTotal - _done));
                    _step.Dispose();
                }

                _stage = stage;
                _step = reporter.Start(stage, value.TotalUnits);
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
