using System.Globalization;
using System.Text.Json;

namespace FaceCluster.Grains;

/// <summary>
/// The files of one run under the data root (see <see cref="RunPaths"/>):
/// <code>
/// runs/{runId}/request.json                       the accepted request (written by the coordinator)
/// runs/{runId}/execution.json                     stage timings and scheduling facts, written before aggregation
/// runs/{runId}/cancelled                          present once the run is cancelled
/// runs/{runId}/shards/prepare.json                 stage prepare: shape of the checked inputs
/// runs/{runId}/shards/loo-FFFFFFF-CCCCCCC.parquet  stage leave-one-out: held-out scores of folds [F, F+C)
/// runs/{runId}/shards/main-dimensions.parquet      stage bootstrap: the dimensions table of the all-rows analysis
/// runs/{runId}/shards/main-loadings.parquet        stage bootstrap: its rotated loadings (the replicates' reference)
/// runs/{runId}/shards/main.json                    stage bootstrap: written last, marks the stage's shard complete
/// runs/{runId}/shards/replicates-FFFFFFF-CCCCCCC.parquet  stage replicates: match lengths of replicates [F, F+C)
/// {OutputPath}/...                                 stages aggregate and gppca: the outputs, complete once summary.json is there
/// {OutputPath}/shards/crops-SSSSSSSS-EEEEEEEE.parquet  stage crop: the crops of image rows [S, E) (a crop run's output
///                                                  folder is a crop folder, crops.json written by its prepare stage)
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

    /// <summary>Timings and scheduling facts for <c>summary.json</c>.</summary>
    public string Execution => Path.Combine(Folder, "execution.json");

    /// <summary>The cancellation marker.</summary>
    public string CancelledMarker => Path.Combine(Folder, "cancelled");

    /// <summary>Whether the run was cancelled.</summary>
    public bool IsCancelled => File.Exists(CancelledMarker);

    /// <summary>The shard of the prepare stage.</summary>
    public string Prepare => Path.Combine(Shards, "prepare.json");

    /// <summary>The dimensions of the all-rows analysis.</summary>
    public string MainDimensions => Path.Combine(Shards, "main-dimensions.parquet");

    /// <summary>The rotated loadings of the all-rows analysis.</summary>
    public string MainLoadings => Path.Combine(Shards, "main-loadings.parquet");

    /// <summary>Written last by the bootstrap stage.</summary>
    public string MainMarker => Path.Combine(Shards, "main.json");

    /// <summary>The shard of folds <c>[first, first + count)</c>.</summary>
    public string LeaveOneOut(int first, int count) => Path.Combine(Shards, Invariant($"loo-{first:D7}-{count:D7}.parquet"));

    /// <summary>The shard of replicates <c>[first, first + count)</c>.</summary>
    public string Replicates(int first, int count) => Path.Combine(Shards, Invariant($"replicates-{first:D7}-{count:D7}.parquet"));

    /// <summary>The output folder of <paramref name="request"/>.</summary>
    public string Output(RunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return DataRootPaths.Resolve(DataRoot, request.OutputPath);
    }

    /// <summary>The file whose presence means that the range is finished.</summary>
    public string ShardOf(RunRequest request, string stage, int first, int count) => stage switch
    {
        RunStages.Prepare => Prepare,
        RunStages.LeaveOneOut => LeaveOneOut(first, count),
        RunStages.Bootstrap => MainMarker,
        RunStages.Replicates => Replicates(first, count),
        RunStages.Crop => Path.Combine(Output(request), Studies.Crops.CropSet.ShardFolderName, Studies.Crops.CropShard.FileName(first, first + count)),
        RunStages.Aggregate or RunStages.Gppca => Path.Combine(Output(request), "summary.json"),
        _ => throw new ArgumentException($"Unknown stage '{stage}'.", nameof(stage)),
    };

    /// <summary>Whether the range's shard is present.</summary>
    public bool IsPresent(RunRequest request, string stage, int first, int count) => File.Exists(ShardOf(request, stage, first, count));

    /// <summary>Writes the accepted request (atomically).</summary>
    public Task WriteRequestAsync(RunRequest request, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        return Tables.AtomicFile.WriteAsync(
            Request,
            (stream, ct) => JsonSerializer.SerializeAsync(stream, request, FileGrainStorage.DefaultJsonOptions, ct),
            cancellationToken);
    }

    /// <summary>Reads the accepted request.</summary>
    public async Task<RunRequest> ReadRequestAsync(CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(Request);
        return await JsonSerializer.DeserializeAsync<RunRequest>(stream, FileGrainStorage.DefaultJsonOptions, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{Request} holds no request.");
    }

    /// <summary>Reads the accepted request (synchronously: a small file).</summary>
    public RunRequest ReadRequest() =>
        JsonSerializer.Deserialize<RunRequest>(File.ReadAllText(Request), FileGrainStorage.DefaultJsonOptions)
            ?? throw new InvalidOperationException($"{Request} holds no request.");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
