namespace FaceCluster.Grains;

/// <summary>Which analysis a run performs.</summary>
[GenerateSerializer]
[Alias("FaceCluster.AnalysisKind")]
public enum AnalysisKind
{
    /// <summary>PPCA of X against Y with loading-significance replicates (analysis.md sections 1-7, 9).</summary>
    Ppca = 0,

    /// <summary>Generalized PPCA of judgments across countries (analysis.md section 8).</summary>
    Gppca = 1,

    /// <summary>MTCNN face crops of a study's images into a crop folder (<see cref="CropSettings"/>).</summary>
    Crop = 2,
}

/// <summary>Lifecycle of a run.</summary>
[GenerateSerializer]
[Alias("FaceCluster.RunState")]
public enum RunState
{
    /// <summary>Accepted, not started.</summary>
    Pending = 0,

    /// <summary>Work ranges are being computed.</summary>
    Running = 1,

    /// <summary>Shards are being aggregated into the outputs.</summary>
    Aggregating = 2,

    /// <summary>Outputs are complete.</summary>
    Completed = 3,

    /// <summary>Stopped by an error (see <see cref="RunStatus.Error"/>).</summary>
    Failed = 4,

    /// <summary>Stopped on request.</summary>
    Cancelled = 5,
}

/// <summary>
/// What a researcher submits. Paths are relative to the cluster's data root (the shared result
/// store every silo mounts); the run never receives matrices in messages.
/// </summary>
/// <param name="Kind">The analysis.</param>
/// <param name="XPath">PPCA: the DNN outputs table; G-PPCA: unused.</param>
/// <param name="YPath">PPCA: the human judgments table; G-PPCA: the judgments table.</param>
/// <param name="OutputPath">Folder for the outputs (written whole at the end).</param>
/// <param name="Bootstrap">Dimension-bootstrap resamples B.</param>
/// <param name="Replicates">Loading-significance replicates R (0 skips them).</param>
/// <param name="InnerBootstrap">Inner bootstrap per replicate (null: B).</param>
/// <param name="Seed">Run seed of every random stream.</param>
/// <param name="LeaveOneOut">"fast" or "naive".</param>
/// <param name="RangeSize">Replicates (or folds) per work range; 0 lets the coordinator choose guided ranges (large first, shrinking toward the end).</param>
/// <param name="Threads">Threads of the one-unit stages (all-rows bootstrap, G-PPCA) on the silo that runs them; 0: all its cores. Results do not depend on it.</param>
/// <param name="XName">What <c>summary.json</c> records as the X input (for example the user's own path); null: <paramref name="XPath"/>.</param>
/// <param name="YName">What <c>summary.json</c> records as the Y input; null: <paramref name="YPath"/>.</param>
/// <param name="Crop">Crop runs: how to crop (<paramref name="YPath"/> is then the study folder and <paramref name="OutputPath"/>
/// the crop folder, which a rerun resumes); null for analyses.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RunRequest")]
public sealed record RunRequest(
    [property: Id(0)] AnalysisKind Kind,
    [property: Id(1)] string? XPath,
    [property: Id(2)] string YPath,
    [property: Id(3)] string OutputPath,
    [property: Id(4)] int Bootstrap = 1000,
    [property: Id(5)] int Replicates = 1000,
    [property: Id(6)] int? InnerBootstrap = null,
    [property: Id(7)] ulong Seed = 1,
    [property: Id(8)] string LeaveOneOut = "fast",
    [property: Id(9)] int RangeSize = 0,
    [property: Id(10)] int Threads = 0,
    [property: Id(11)] string? XName = null,
    [property: Id(12)] string? YName = null,
    [property: Id(13)] CropSettings? Crop = null);

/// <summary>
/// How a crop run crops (issue: MTCNN as facenet-pytorch). Units of the run are rows of the study's images table; a range
/// is one shard of <see cref="ShardSize"/> images.
/// </summary>
/// <param name="ShardSize">Images per shard (and per work range).</param>
/// <param name="ImageSize">Side of the square crop in pixels.</param>
/// <param name="Margin">Margin around the box in pixels of the crop (facenet-pytorch's <c>margin</c>).</param>
/// <param name="MinFaceSize">Smallest face MTCNN looks for, in pixels.</param>
/// <param name="PNetThreshold">Face-probability threshold of the first stage.</param>
/// <param name="RNetThreshold">Threshold of the second stage.</param>
/// <param name="ONetThreshold">Threshold of the third stage.</param>
/// <param name="ScaleFactor">Pyramid scale factor.</param>
/// <param name="Selection"><c>probable</c> (default) or <c>largest</c>: which face is kept when several are found.</param>
/// <param name="Normalization"><c>prewhiten</c> (the paper) or <c>fixed</c>: recorded for the models that read the crops.</param>
/// <param name="FallbackToTableBox">Crop at the images table's face box when MTCNN finds no face.</param>
/// <param name="MaxMegapixels">Images with more pixels are recorded as too large, not decoded.</param>
/// <param name="BatchSize">Images detected together.</param>
/// <param name="Device"><c>auto</c>, <c>cpu</c> or <c>cuda</c>.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.CropSettings")]
public sealed record CropSettings(
    [property: Id(0)] int ShardSize = 256,
    [property: Id(1)] int ImageSize = 160,
    [property: Id(2)] int Margin = 0,
    [property: Id(3)] int MinFaceSize = 20,
    [property: Id(4)] double PNetThreshold = 0.6,
    [property: Id(5)] double RNetThreshold = 0.7,
    [property: Id(6)] double ONetThreshold = 0.7,
    [property: Id(7)] double ScaleFactor = 0.709,
    [property: Id(8)] string Selection = "probable",
    [property: Id(9)] string Normalization = "prewhiten",
    [property: Id(10)] bool FallbackToTableBox = false,
    [property: Id(11)] double MaxMegapixels = 50,
    [property: Id(12)] int BatchSize = 16,
    [property: Id(13)] string Device = "cpu")
{
    /// <summary>Every problem with these settings, each a sentence naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        Check(ShardSize is >= 1 and <= 100_000, $"the shard size must be 1 to 100000 images, got {ShardSize}");
        Check(ImageSize is >= 16 and <= 1024, $"the crop size must be 16 to 1024 pixels, got {ImageSize}");
        Check(Margin >= 0 && Margin < ImageSize, $"the margin must be 0 or more and less than the crop size, got {Margin}");
        Check(MinFaceSize >= 12, $"the minimum face size must be at least 12 pixels (PNet's window), got {MinFaceSize}");
        foreach (var (name, value) in new[] { ("PNet", PNetThreshold), ("RNet", RNetThreshold), ("ONet", ONetThreshold) })
        {
            Check(value is > 0 and < 1, $"the {name} threshold must be between 0 and 1, got {value}");
        }

        Check(ScaleFactor is > 0.1 and < 1, $"the scale factor must be between 0.1 and 1, got {ScaleFactor}");
        Check(Selection is "probable" or "largest", $"the selection must be 'probable' or 'largest', got '{Selection}'");
        Check(Normalization is "prewhiten" or "fixed", $"the normalization must be 'prewhiten' or 'fixed', got '{Normalization}'");
        Check(MaxMegapixels > 0, $"the largest image must be more than 0 megapixels, got {MaxMegapixels}");
        Check(BatchSize is >= 1 and <= 1024, $"the batch size must be 1 to 1024 images, got {BatchSize}");
        Check(Device is "auto" or "cpu" || Device.StartsWith("cuda", StringComparison.Ordinal), $"the device must be auto, cpu or cuda[:N], got '{Device}'");
        return errors;
    }
}

/// <summary>Where a run stands; what <c>GET /api/runs/{id}</c> returns.</summary>
/// <param name="RunId">The run.</param>
/// <param name="State">Lifecycle state.</param>
/// <param name="Stage">The stage in progress (for example "leave-one-out", "replicates", "aggregate").</param>
/// <param name="CompletedUnits">Units of the stage done.</param>
/// <param name="TotalUnits">Units of the stage in all.</param>
/// <param name="SubmittedAt">When the run was accepted.</param>
/// <param name="FinishedAt">When it completed, failed or was cancelled.</param>
/// <param name="EtaSeconds">Estimated seconds to completion, when known.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="OutputPath">The output folder (relative to the data root).</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RunStatus")]
public sealed record RunStatus(
    [property: Id(0)] string RunId,
    [property: Id(1)] RunState State,
    [property: Id(2)] string Stage,
    [property: Id(3)] long CompletedUnits,
    [property: Id(4)] long TotalUnits,
    [property: Id(5)] DateTimeOffset SubmittedAt,
    [property: Id(6)] DateTimeOffset? FinishedAt,
    [property: Id(7)] double? EtaSeconds,
    [property: Id(8)] string? Error,
    [property: Id(9)] string OutputPath);

/// <summary>A contiguous range of work units of one stage of a run: the unit of scheduling.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Stage">A stage of <see cref="RunStages"/>: "leave-one-out" (folds), "replicates" (section 7 replicate indices), "crop" (image rows), ...</param>
/// <param name="First">First unit index.</param>
/// <param name="Count">Number of units.</param>
/// <param name="Attempt">1 for the first assignment, more when reassigned after a silo died or timed out.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.WorkRange")]
public sealed record WorkRange(
    [property: Id(0)] string RunId,
    [property: Id(1)] string Stage,
    [property: Id(2)] int First,
    [property: Id(3)] int Count,
    [property: Id(4)] int Attempt);

/// <summary>The stages of a run, in order, and the names <see cref="WorkRange.Stage"/> and <see cref="RunStatus.Stage"/> use.</summary>
public static class RunStages
{
    /// <summary>PPCA: read and check the inputs (one unit).</summary>
    public const string Prepare = "prepare";

    /// <summary>PPCA: leave-one-out folds of the all-rows analysis (section 2), one unit per stimulus.</summary>
    public const string LeaveOneOut = "leave-one-out";

    /// <summary>PPCA: dimension bootstrap, selection and varimax of the all-rows analysis (sections 3-6), one unit.</summary>
    public const string Bootstrap = "bootstrap";

    /// <summary>PPCA: loading-significance replicates (section 7), one unit per replicate index.</summary>
    public const string Replicates = "replicates";

    /// <summary>PPCA: the shards into the outputs (one unit).</summary>
    public const string Aggregate = "aggregate";

    /// <summary>G-PPCA: the whole analysis and its outputs (one unit).</summary>
    public const string Gppca = "gppca";

    /// <summary>Crop: face crops, one unit per row of the images table, one range per shard.</summary>
    public const string Crop = "crop";
}

/// <summary>A worker's answer to <see cref="IAnalysisWorkerGrain.Accept"/>.</summary>
/// <param name="Silo">The silo that queued the range (where it will run).</param>
/// <param name="Slots">Ranges that silo computes at once.</param>
/// <param name="Queued">Ranges queued or running on that silo, this one included.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RangeAccepted")]
public sealed record RangeAccepted(
    [property: Id(0)] SiloAddress Silo,
    [property: Id(1)] int Slots,
    [property: Id(2)] int Queued);

/// <summary>One work range as the coordinator tracks it.</summary>
/// <param name="First">First unit index.</param>
/// <param name="Count">Number of units.</param>
/// <param name="State">"pending", "running" or "done".</param>
/// <param name="Attempts">Assignments so far.</param>
/// <param name="Failures">Failed or timed-out attempts (the run fails when they reach the limit).</param>
/// <param name="Reassignments">Attempts abandoned because their silo died.</param>
/// <param name="Completions">Completions counted (0 or 1; later duplicates are ignored).</param>
/// <param name="Silo">The silo of the last assignment.</param>
/// <param name="LastError">The reason of the last failure.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RangeReport")]
public sealed record RangeReport(
    [property: Id(0)] int First,
    [property: Id(1)] int Count,
    [property: Id(2)] string State,
    [property: Id(3)] int Attempts,
    [property: Id(4)] int Failures,
    [property: Id(5)] int Reassignments,
    [property: Id(6)] int Completions,
    [property: Id(7)] string? Silo,
    [property: Id(8)] string? LastError);

/// <summary>One stage of a run.</summary>
/// <param name="Name">A name of <see cref="RunStages"/>.</param>
/// <param name="TotalUnits">Units of the stage.</param>
/// <param name="CompletedUnits">Units whose range is done.</param>
/// <param name="RangeSize">Units per range (of the largest range, the first, when the coordinator chose guided ranges).</param>
/// <param name="StartedAt">When its first range was scheduled.</param>
/// <param name="FinishedAt">When its last range completed.</param>
/// <param name="Ranges">Its ranges, in unit order.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.StageReport")]
public sealed record StageReport(
    [property: Id(0)] string Name,
    [property: Id(1)] long TotalUnits,
    [property: Id(2)] long CompletedUnits,
    [property: Id(3)] int RangeSize,
    [property: Id(4)] DateTimeOffset? StartedAt,
    [property: Id(5)] DateTimeOffset? FinishedAt,
    [property: Id(6)] IReadOnlyList<RangeReport> Ranges);

/// <summary>Everything the coordinator knows about a run: its status and every stage and range.</summary>
/// <param name="Status">As <see cref="IRunCoordinatorGrain.GetStatus"/>.</param>
/// <param name="Request">The request, or null for an unknown run.</param>
/// <param name="Stages">Stages scheduled so far, in order.</param>
/// <param name="DuplicateReports">Completions and failures ignored because their range was already done or reassigned.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RunReport")]
public sealed record RunReport(
    [property: Id(0)] RunStatus Status,
    [property: Id(1)] RunRequest? Request,
    [property: Id(2)] IReadOnlyList<StageReport> Stages,
    [property: Id(3)] int DuplicateReports);

/// <summary>
/// Where a run keeps its files, relative to the cluster's data root (the folder every silo shares). Paths use '/'.
/// </summary>
public static class RunPaths
{
    /// <summary>The folder of all runs.</summary>
    public const string Runs = "runs";

    /// <summary>The folder of run <paramref name="runId"/>: <c>runs/{runId}</c>.</summary>
    public static string RunFolder(string runId) => $"{Runs}/{runId}";

    /// <summary>The request as accepted, written by the coordinator (<c>request.json</c>).</summary>
    public static string Request(string runId) => $"{RunFolder(runId)}/request.json";

    /// <summary>The shards of finished ranges (<c>shards/</c>).</summary>
    public static string Shards(string runId) => $"{RunFolder(runId)}/shards";

    /// <summary>Present once the run is cancelled: workers stop its ranges.</summary>
    public static string CancelledMarker(string runId) => $"{RunFolder(runId)}/cancelled";

    /// <summary>A conventional place for a client to stage the inputs of a run (<c>inputs/</c>).</summary>
    public static string Inputs(string runId) => $"{RunFolder(runId)}/inputs";

    /// <summary>A conventional output folder (<c>output/</c>).</summary>
    public static string Output(string runId) => $"{RunFolder(runId)}/output";

    /// <summary>
    /// Whether <paramref name="runId"/> can name a run: 1 to 128 letters, digits, '.', '_' or '-', starting with a
    /// letter or digit (it becomes a folder name).
    /// </summary>
    public static bool IsValidRunId(string? runId) =>
        runId is { Length: > 0 and <= 128 }
        && char.IsAsciiLetterOrDigit(runId[0])
        && runId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
