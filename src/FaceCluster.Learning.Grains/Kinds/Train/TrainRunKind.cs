using System.Globalization;
using System.Text.Json.Nodes;
using FaceCluster.Grains;
using FaceCluster.Learning.Training;
using FaceCluster.Tables;

namespace FaceCluster.Learning.Grains;

/// <summary>
/// Trains the paper's DNN on a study's mimics into a model folder (the run's output): one stage, <c>train</c>, of one
/// range placed on a gpu silo when the cluster has one. The range checkpoints as it goes (see <see cref="ModelTrainer"/>);
/// when its silo dies or stops, the range is reassigned and the next attempt resumes from the last checkpoint, with the
/// same result as an uninterrupted run. <c>shards/train.json</c> (the training summary) marks it finished.
/// </summary>
public sealed class TrainRunKind : IRunKind
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "train";

    /// <summary>Its one stage.</summary>
    public const string Stage = "train";

    /// <summary>Training reports progress all along; a silo that stops reporting dies and its range is reassigned.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromDays(7);

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(RunRequest request, string dataRoot) =>
        RunParameters.Validate<TrainParameters>(request, dataRoot);

    /// <inheritdoc />
    public Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        return Task.FromResult(planning.CompletedStage is null ? StagePlan.One(Stage, StagePlacement.PreferGpu, AttemptTimeout) : null);
    }

    /// <inheritdoc />
    public string ShardOf(RunFiles files, RunRequest request, string stage, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(files);
        return files.Shard("train.json");
    }

    /// <inheritdoc />
    public IEnumerable<string> FilesOf(RunFiles files, RunRequest request, string stage, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(files);
        var model = files.Output(request);
        return [.. new[] { ModelManifest.FileName, ModelManifest.WeightsFileName, ModelManifest.LossFileName, ModelManifest.SplitFileName }.Select(f => Path.Combine(model, f))];
    }

    /// <inheritdoc />
    public Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return StageTasks.Whole(TrainAsync(work, cancellationToken));
    }

    private static async Task TrainAsync(RangeWork work, CancellationToken cancellationToken)
    {
        var parameters = RunParameters.Read<TrainParameters>(work.Request);
        var options = parameters.Options;

        // A later attempt follows one that was interrupted: it continues from the last checkpoint.
        if (work.Range.Attempt > 1)
        {
            options = options with { Resume = true, Overwrite = false };
        }

        if (options.BackboneWeights is { Length: > 0 } weights && !Path.IsPathRooted(weights))
        {
            options = options with { BackboneWeights = work.Files.Resolve(weights) };
        }

        var inputs = new TrainingInputs(
            work.Files.Resolve(parameters.Study), work.Files.Resolve(parameters.Targets), work.Files.Resolve(parameters.Crops), work.Files.Output(work.Request));
        var result = await ModelTrainer.TrainAsync(inputs, options, new Observer(work.Progress), cancellationToken).ConfigureAwait(false);
        var summary = new JsonObject
        {
            ["run_id"] = work.Files.RunId,
            ["attempt"] = work.Range.Attempt,
            ["training"] = System.Text.Json.JsonSerializer.SerializeToNode(result.Manifest.Training, AtomicFile.JsonOptions),
            ["warnings"] = new JsonArray([.. result.Warnings.Select(w => (JsonNode?)w)]),
        };
        await AtomicFile.WriteJsonAsync(work.Files.Shard("train.json"), summary, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Passes the trainer's progress on as the range's.</summary>
    private sealed class Observer(IProgress<RangeProgress> range) : ITrainingObserver
    {
        private static readonly KeyValuePair<string, object?> StageTag = new("facecluster.stage", Stage);

        public void Progress(TrainingProgress progress)
        {
            // The trainer knows nothing of telemetry: its progress reports become the training metrics here.
            if (progress.Phase == "training" && progress.Faces > 0)
            {
                FaceClusterTelemetry.TrainingFaces.Add(progress.Faces, StageTag);
                FaceClusterTelemetry.TrainingSteps.Add(1, StageTag);
                if (progress.Loss is { } batchLoss)
                {
                    FaceClusterTelemetry.TrainingLoss.Record(batchLoss, StageTag);
                }
            }

            var detail = progress.Phase == "training"
                ? string.Create(CultureInfo.InvariantCulture, $"training, epoch {progress.Epoch}, step {progress.Step}{(progress.Loss is { } loss ? $", loss {loss:G4}" : "")}")
                : progress.Phase;
            range.Report(new RangeProgress(progress.Done, progress.Total, detail));
        }

        public void Warning(string message) => range.Report(new RangeProgress(0, 0, "warning: " + message));
    }
}
