using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceCluster.Grains;
using FaceCluster.Learning.Prediction;
using FaceCluster.Learning.Training;
using FaceCluster.Outputs;
using FaceCluster.Studies;

namespace FaceCluster.Learning.Grains;

/// <summary>
/// From a study folder to the paper's results: one run whose stages are runs of the other kinds, each started and
/// followed by the coordinator: <c>aggregate</c> (validate the study, judgments and targets) -> <c>crop</c> (every seed and
/// mimic) -> <c>train</c> -> <c>predict</c> (the seeds) -> <c>ppca</c> (the predictions against the judgments) ->
/// <c>gppca</c> (the judgments across countries) -> <c>morph</c> (the dimension faces) -> <c>report</c>. Outputs go to <c>derived/</c>, <c>crops/</c>, <c>model/</c>,
/// <c>predictions/</c>, <c>ppca/</c>, <c>gppca/</c> and <c>morphs/</c> of the output folder, the report (<c>report.html</c>,
/// <c>figures/</c>, <c>tsne.parquet</c>, <c>report.json</c>) into the folder itself, and <c>run.json</c> records every stage
/// (<see cref="PipelineRecord"/>).
/// </summary>
/// <remarks>
/// A stage is skipped when the previous run into the folder completed it with the same fingerprint (a hash of its
/// kind, its parameters, the input files it reads and the fingerprints of the stages it reads from) and its outputs are
/// there; otherwise its outputs are removed and it runs again, and so does every stage that reads from it. An unfinished
/// crop or training with an unchanged fingerprint is resumed rather than restarted (finished shards, the last checkpoint).
/// </remarks>
public sealed class PipelineRunKind : IRunKind
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "pipeline";

    /// <summary>The stages, in order (each is also the kind of its run).</summary>
    public static readonly IReadOnlyList<string> StageNames =
        [StudyAggregateRunKind.KindName, CropRunKind.KindName, TrainRunKind.KindName, PredictRunKind.KindName, PpcaRunKind.KindName, GppcaRunKind.KindName, MorphRunKind.KindName, ReportRunKind.KindName];

    private const string PreviousRecord = "previous-run.json";

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(RunRequest request, string dataRoot) =>
        RunParameters.Validate<PipelineParameters>(request, dataRoot);

    /// <inheritdoc />
    public string ShardOf(RunFiles files, RunRequest request, string stage, int first, int count) =>
        throw new InvalidOperationException($"The pipeline's stage '{stage}' is a run of its own and has no shard.");

    /// <inheritdoc />
    public IEnumerable<string> FilesOf(RunFiles files, RunRequest request, string stage, int first, int count) => [];

    /// <inheritdoc />
    public Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("A pipeline computes nothing itself: its stages are runs of other kinds.");

    /// <summary>The output folder of <paramref name="stage"/> under the pipeline's output folder <paramref name="output"/>.</summary>
    public static string OutputOf(string output, string stage) => stage == ReportRunKind.KindName ? output : Join(output, stage switch
    {
        StudyAggregateRunKind.KindName => "derived",
        CropRunKind.KindName => "crops",
        TrainRunKind.KindName => "model",
        PredictRunKind.KindName => "predictions",
        MorphRunKind.KindName => "morphs",
        _ => stage,
    });

    /// <inheritdoc />
    public async Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        var recordPath = Path.Combine(planning.OutputFolder, PipelineRecord.FileName);
        PipelineRecord record;
        if (planning.CompletedStage is null)
        {
            Directory.CreateDirectory(planning.OutputFolder);
            Directory.CreateDirectory(planning.Files.Shards);
            if (File.Exists(recordPath))
            {
                File.Copy(recordPath, planning.Files.Shard(PreviousRecord), overwrite: true);
            }

            record = await NewRecordAsync(planning, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            record = PipelineRecord.TryRead(recordPath) ?? throw new InvalidOperationException($"{recordPath} is missing or damaged");
            var done = record.Stages.Find(s => s.Name == planning.CompletedStage);
            var stage = planning.Stages.LastOrDefault(s => s.Name == planning.CompletedStage);
            if (done is not null && done.Outcome != "skipped")
            {
                done.Outcome = "completed";
                done.FinishedAt = stage?.FinishedAt ?? DateTimeOffset.UtcNow;
                done.Seconds = Math.Round(((done.FinishedAt - done.StartedAt) ?? TimeSpan.Zero).TotalSeconds, 3);
            }
        }

        var next = planning.CompletedStage is null ? 0 : StageNames.ToList().IndexOf(planning.CompletedStage) + 1;
        if (next >= StageNames.Count)
        {
            await record.WriteAsync(recordPath, cancellationToken).ConfigureAwait(false);
            return null;
        }

        var plan = await PlanAsync(planning, record, record.Stages[next], cancellationToken).ConfigureAwait(false);
        await record.WriteAsync(recordPath, cancellationToken).ConfigureAwait(false);
        return plan;
    }

    /// <inheritdoc />
    public async Task OnFinishedAsync(RunPlanning planning, RunState state, string? failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        var recordPath = Path.Combine(planning.OutputFolder, PipelineRecord.FileName);
        if (PipelineRecord.TryRead(recordPath) is not { } record || record.RunId != planning.RunId)
        {
            return;
        }

        record.State = state.ToString().ToLowerInvariant();
        record.Error = failure;
        record.FinishedAt = DateTimeOffset.UtcNow;
        foreach (var stage in record.Stages.Where(s => s.Outcome == "running"))
        {
            stage.Outcome = state == RunState.Cancelled ? "cancelled" : "failed";
            stage.FinishedAt = record.FinishedAt;
        }

        await record.WriteAsync(recordPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The run's record: its inputs' hashes and every stage with its parameters and fingerprint, all pending.</summary>
    private static async Task<PipelineRecord> NewRecordAsync(RunPlanning planning, CancellationToken cancellationToken)
    {
        var parameters = RunParameters.Read<PipelineParameters>(planning.Request);
        var output = planning.Request.OutputPath;
        var study = StudyFolder.Open(planning.Files.Resolve(parameters.Study));
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["study_manifest"] = await HashFileAsync(study.ManifestPath, cancellationToken).ConfigureAwait(false),
            ["images_table"] = study.ImagesPath is null ? "" : await HashFileAsync(study.ImagesPath, cancellationToken).ConfigureAwait(false),
            ["ratings_table"] = study.RatingsPath is null ? "" : await HashFileAsync(study.RatingsPath, cancellationToken).ConfigureAwait(false),
        };
        var training = parameters.Training with { Resume = true, Overwrite = false };
        if (training.BackboneWeights is { Length: > 0 } weights)
        {
            var path = Path.IsPathRooted(weights) ? weights : planning.Files.Resolve(weights);
            inputs["backbone_weights"] = await HashFileAsync(path, cancellationToken).ConfigureAwait(false);
        }

        var derived = OutputOf(output, StudyAggregateRunKind.KindName);
        var crops = OutputOf(output, CropRunKind.KindName);
        var model = OutputOf(output, TrainRunKind.KindName);
        var predictions = OutputOf(output, PredictRunKind.KindName);
        var judgments = Join(derived, StudyAggregation.JudgmentsFile);
        var studyName = parameters.StudyName ?? parameters.Study;
        var stages = new (string Name, object Parameters, string[] Inputs, string[] After)[]
        {
            (StudyAggregateRunKind.KindName, new StudyAggregateParameters { Study = parameters.Study, DropIncomplete = parameters.DropIncomplete, Decode = parameters.Decode },
                ["study_manifest", "images_table", "ratings_table"], []),
            (CropRunKind.KindName, parameters.Crop with { Study = parameters.Study, StudyName = studyName }, ["study_manifest", "images_table"], []),
            (TrainRunKind.KindName, new TrainParameters { Study = parameters.Study, Targets = Join(derived, StudyAggregation.TargetsFile), Crops = crops, Options = training },
                ["images_table", "backbone_weights"], [StudyAggregateRunKind.KindName, CropRunKind.KindName]),
            (PredictRunKind.KindName, new PredictParameters { Model = model, Crops = crops, Options = parameters.Prediction with { Kind = PredictionKind.Seed } },
                [], [TrainRunKind.KindName, CropRunKind.KindName]),
            (PpcaRunKind.KindName, parameters.Ppca with { X = Join(predictions, PredictRunKind.PredictionsFile), Y = judgments, XName = null, YName = null },
                [], [PredictRunKind.KindName, StudyAggregateRunKind.KindName]),
            (GppcaRunKind.KindName, new GppcaParameters { Judgments = judgments, Threads = parameters.GppcaThreads }, [], [StudyAggregateRunKind.KindName]),
            (MorphRunKind.KindName, new MorphParameters { Study = parameters.Study, Crops = crops, Ppca = OutputOf(output, PpcaRunKind.KindName), Count = parameters.MorphCount, Threads = parameters.GppcaThreads },
                ["images_table"], [CropRunKind.KindName, PpcaRunKind.KindName]),
            (ReportRunKind.KindName, new ReportParameters(), ["study_manifest"],
                [CropRunKind.KindName, TrainRunKind.KindName, PpcaRunKind.KindName, GppcaRunKind.KindName, MorphRunKind.KindName]),
        };

        var record = new PipelineRecord
        {
            RunId = planning.RunId,
            Study = studyName,
            StartedAt = DateTimeOffset.UtcNow,
            ClusterSlots = planning.ClusterSlots,
            Versions = SummaryJson.Versions(),
            Parameters = JsonNode.Parse(planning.Request.Parameters),
            Seeds = new() { ["training"] = training.Seed, ["ppca"] = parameters.Ppca.ToOptions().Seed },
            Inputs = inputs,
        };
        var fingerprints = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, stageParameters, stageInputs, after) in stages)
        {
            var json = JsonSerializer.Serialize(stageParameters, stageParameters.GetType(), RunParameters.Json);
            var text = new StringBuilder().Append(name).Append('\n').Append(json).Append('\n');
            foreach (var role in stageInputs)
            {
                text.Append(role).Append('=').Append(inputs.GetValueOrDefault(role, "")).Append('\n');
            }

            foreach (var earlier in after)
            {
                text.Append(earlier).Append('=').Append(fingerprints[earlier]).Append('\n');
            }

            fingerprints[name] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
            record.Stages.Add(new PipelineStageRecord
            {
                Name = name,
                Output = OutputOf(output, name),
                Fingerprint = fingerprints[name],
                Parameters = JsonNode.Parse(json),
            });
        }

        return record;
    }

    /// <summary>Skips <paramref name="stage"/> when its last run is still good, else clears its outputs and plans its run.</summary>
    private static async Task<StagePlan> PlanAsync(RunPlanning planning, PipelineRecord record, PipelineStageRecord stage, CancellationToken cancellationToken)
    {
        var previousPath = planning.Files.Shard(PreviousRecord);
        var previous = PipelineRecord.TryRead(previousPath)?.Stages.Find(s => s.Name == stage.Name);
        var folder = planning.Files.Resolve(stage.Output);
        var unchanged = previous is not null && previous.Fingerprint == stage.Fingerprint;
        stage.StartedAt = DateTimeOffset.UtcNow;
        if (unchanged && previous!.Outcome is "completed" or "skipped" && OutputsPresent(stage.Name, folder))
        {
            stage.Outcome = "skipped";
            stage.RunId = previous.RunId;
            stage.FinishedAt = stage.StartedAt;
            stage.Seconds = 0;
            return StagePlan.Skip(stage.Name, $"unchanged since run {previous.RunId}");
        }

        // An interrupted crop or training of the same inputs is resumed (finished shards, the last checkpoint); any
        // other stage starts from an empty output folder.
        var resumable = unchanged && stage.Name is CropRunKind.KindName or TrainRunKind.KindName;
        if (stage.Name == ReportRunKind.KindName)
        {
            // The report is written into the pipeline's own folder: only its own files go.
            ReportRunKind.RemoveOutputs(folder);
        }
        else if (!resumable && Directory.Exists(folder))
        {
            await Task.Run(() => Directory.Delete(folder, recursive: true), cancellationToken).ConfigureAwait(false);
        }

        stage.Outcome = "running";
        stage.RunId = RunPaths.ChildRunId(planning.RunId, stage.Name);
        record.State = "running";
        return StagePlan.ChildRun(stage.Name, new RunRequest(stage.Name, stage.Output, stage.Parameters!.ToJsonString(RunParameters.Json)));
    }

    private static bool OutputsPresent(string stage, string folder) => stage switch
    {
        TrainRunKind.KindName => File.Exists(Path.Combine(folder, ModelManifest.WeightsFileName)) && File.Exists(Path.Combine(folder, ModelManifest.FileName)),
        ReportRunKind.KindName => ReportRunKind.IsPresent(folder),
        _ => File.Exists(Path.Combine(folder, "summary.json")),
    };

    private static string Join(string folder, string name) => folder is "." or "" ? name : $"{folder}/{name}";

    private static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }
}
