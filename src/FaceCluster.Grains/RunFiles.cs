using System.Globalization;
using System.Text.Json;

namespace FaceCluster.Grains;

/// <summary>
/// The engine's files of one run under the data root (see <see cref="RunPaths"/>):
/// <code>
/// runs/{runId}/request.json     the accepted request (written by the coordinator)
/// runs/{runId}/cancelled        present once the run is cancelled
/// runs/{runId}/shards/...       the shards of finished ranges, named by the run's kind
/// {OutputPath}/...              the outputs, written by the kind's last stage
/// </code>
/// Every file is written to a temporary name and renamed, so a present shard is a finished range.
/// </summary>
public sealed class RunFiles
{
    /// <summary>Locates the files of <paramref name="runId"/> under <paramref name="dataRoot"/>.</summary>
    public RunFiles(string dataRoot, string runId)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataRoot);
        if (!RunPaths.IsValidRunId(runId))
        {
            throw new ArgumentException($"'{runId}' is not a valid run id (1-128 letters, digits, '.', '_' or '-').", nameof(runId));
        }

        DataRoot = dataRoot;
        RunId = runId;
        Folder = DataRootPaths.Resolve(dataRoot, RunPaths.RunFolder(runId));
        Shards = DataRootPaths.Resolve(dataRoot, RunPaths.Shards(runId));
    }

    /// <summary>The data root.</summary>
    public string DataRoot { get; }

    /// <summary>The run id.</summary>
    public string RunId { get; }

    /// <summary>The run's folder.</summary>
    public string Folder { get; }

    /// <summary>The folder of its shards.</summary>
    public string Shards { get; }

    /// <summary>The accepted request.</summary>
    public string Request => Path.Combine(Folder, "request.json");

    /// <summary>The cancellation marker.</summary>
    public string CancelledMarker => Path.Combine(Folder, "cancelled");

    /// <summary>Whether the run was cancelled.</summary>
    public bool IsCancelled => File.Exists(CancelledMarker);

    /// <summary>A shard file of the run (<c>shards/{name}</c>).</summary>
    public string Shard(string name) => Path.Combine(Shards, name);

    /// <summary>The shard file <c>{prefix}-FFFFFFF-CCCCCCC.parquet</c> of units <c>[first, first + count)</c>.</summary>
    public string RangeShard(string prefix, int first, int count) =>
        Path.Combine(Shards, string.Create(CultureInfo.InvariantCulture, $"{prefix}-{first:D7}-{count:D7}.parquet"));

    /// <summary>The full path of a data-root-relative path.</summary>
    public string Resolve(string relativePath) => DataRootPaths.Resolve(DataRoot, relativePath, allowRoot: true);

    /// <summary>The output folder of <paramref name="request"/>.</summary>
    public string Output(RunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Resolve(request.OutputPath);
    }

    /// <summary>Writes the accepted request (atomically).</summary>
    public Task WriteRequestAsync(RunRequest request, CancellationToken cancellationToken) => WriteAsync(Request, request, cancellationToken);

    /// <summary>How the run ended, written before its state is persisted: with the request, the data root alone says what runs exist and which are unfinished.</summary>
    public string Finished => Path.Combine(Folder, "finished.json");

    /// <summary>Writes how the run ended (atomically).</summary>
    public Task WriteFinishedAsync(RunFinishRecord record, CancellationToken cancellationToken) => WriteAsync(Finished, record, cancellationToken);

    /// <summary>Whether the run folder records an accepted run that has not ended (what recovery from the data root takes up).</summary>
    public bool IsUnfinishedOnDisk => File.Exists(Request) && !File.Exists(Finished);

    /// <summary>How the run ended, or null when it has not (or the record is unreadable).</summary>
    public RunFinishRecord? TryReadFinished()
    {
        try
        {
            return File.Exists(Finished) ? JsonSerializer.Deserialize<RunFinishRecord>(File.ReadAllText(Finished), FileGrainStorage.DefaultJsonOptions) : null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads the accepted request (synchronously: a small file).</summary>
    public RunRequest ReadRequest() =>
        JsonSerializer.Deserialize<RunRequest>(File.ReadAllText(Request), FileGrainStorage.DefaultJsonOptions)
            ?? throw new InvalidOperationException($"{Request} holds no request.");

    private Task WriteAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        return Tables.AtomicFile.WriteAsync(
            path,
            (stream, ct) => JsonSerializer.SerializeAsync(stream, value, FileGrainStorage.DefaultJsonOptions, ct),
            cancellationToken);
    }

    /// <summary>Every file under <paramref name="folder"/>, or none when it does not exist.</summary>
    public static IEnumerable<string> FilesUnder(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories) : [];

    /// <summary>Reads the accepted request.</summary>
    public async Task<RunRequest> ReadRequestAsync(CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(Request);
        return await JsonSerializer.DeserializeAsync<RunRequest>(stream, FileGrainStorage.DefaultJsonOptions, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{Request} holds no request.");
    }
}

/// <summary>How a run ended, as <see cref="RunFiles.Finished"/> records it.</summary>
/// <param name="State">Completed, failed or cancelled.</param>
/// <param name="Error">Why it failed, or null.</param>
/// <param name="SubmittedAt">When it was submitted.</param>
/// <param name="FinishedAt">When it ended.</param>
/// <param name="BadInput">Whether it failed because of its inputs or settings.</param>
public sealed record RunFinishRecord(RunState State, string? Error, DateTimeOffset SubmittedAt, DateTimeOffset FinishedAt, bool BadInput = false);
