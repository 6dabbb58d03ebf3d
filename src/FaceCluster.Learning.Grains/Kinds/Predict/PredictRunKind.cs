using System.Globalization;
using System.Text.Json.Nodes;
using FaceCluster.Grains;
using FaceCluster.Learning.Prediction;
using FaceCluster.Learning.Training;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;

namespace FaceCluster.Learning.Grains;

/// <summary>The stages of a <c>predict</c> run, in order.</summary>
public static class PredictStages
{
    /// <summary>The model on ranges of crop shards, one part table per range.</summary>
    public const string Predict = "predict";

    /// <summary>The parts into <c>predictions.parquet</c> and <c>summary.json</c>.</summary>
    public const string Aggregate = "aggregate";
}

/// <summary>
/// Runs a trained model on the crops of a study: <c>predict</c> cuts the crop folder's shards into fixed ranges that any
/// silo (or GPU) computes, each writing a part table (<c>shards/predict-F-C.parquet</c>, with the counts of images
/// without a crop beside it); <c>aggregate</c> joins the parts in order into the output folder's
/// <c>predictions.parquet</c> (for seeds, the wide table that PPCA takes as X) and <c>summary.json</c>. The ranges depend
/// on the crop folder alone, and each face's output on nothing but its crop, so any number of silos gives the same bytes.
/// </summary>
public sealed class PredictRunKind : IRunKind
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "predict";

    /// <summary>The table in the output folder.</summary>
    public const string PredictionsFile = "predictions.parquet";

    /// <summary>Ranges a crop folder is cut into when the request does not say.</summary>
    private const int DefaultRanges = 64;

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(RunRequest request, string dataRoot) =>
        RunParameters.Validate<PredictParameters>(request, dataRoot);

    /// <inheritdoc />
    public Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        var parameters = RunParameters.Read<PredictParameters>(planning.Request);
        switch (planning.CompletedStage)
        {
            case null:
                var crops = CropSet.Open(planning.Files.Resolve(parameters.Crops));
                var missing = crops.MissingRanges();
                if (missing.Count > 0)
                {
                    throw new InvalidInputException(
                        $"{parameters.Crops}: incomplete: {missing.Count} range(s) of images not cropped, first rows {missing[0].Start}..{missing[0].End - 1}; rerun the crop");
                }

                var shards = crops.Shards.Count;
                var size = parameters.ShardsPerRange > 0 ? parameters.ShardsPerRange : Math.Max(1, (shards + DefaultRanges - 1) / DefaultRanges);
                return Task.FromResult<StagePlan?>(new StagePlan(PredictStages.Predict, shards, RangeSchedule.Fixed(shards, size), StagePlacement.PreferGpu));
            case PredictStages.Predict:
                return Task.FromResult<StagePlan?>(StagePlan.One(PredictStages.Aggregate));
            default:
                return Task.FromResult<StagePlan?>(null);
        }
    }

    /// <inheritdoc />
    public string ShardOf(RunFiles files, RunRequest request, string stage, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(files);
        return stage switch
        {
            PredictStages.Predict => files.RangeShard("predict", first, count),
            PredictStages.Aggregate => Path.Combine(files.Output(request), "summary.json"),
            _ => throw new ArgumentException($"A predict run has no stage '{stage}'.", nameof(stage)),
        };
    }

    /// <inheritdoc />
    public IEnumerable<string> FilesOf(RunFiles files, RunRequest request, string stage, int first, int count) =>
        stage == PredictStages.Aggregate ? RunFiles.FilesUnder(files.Output(request)) : [ShardOf(files, request, stage, first, count)];

    /// <inheritdoc />
    public Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var parameters = RunParameters.Read<PredictParameters>(work.Request);
        return work.Range.Stage switch
        {
            PredictStages.Predict => StageTasks.Whole(PredictAsync(work, parameters, cancellationToken)),
            PredictStages.Aggregate => StageTasks.Whole(AggregateAsync(work, parameters, cancellationToken)),
            _ => throw new ArgumentException($"A predict run has no stage '{work.Range.Stage}'.", nameof(work)),
        };
    }

    private static string SkippedOf(string part) => Path.ChangeExtension(part, ".skipped.json");

    private static async Task PredictAsync(RangeWork work, PredictParameters parameters, CancellationToken cancellationToken)
    {
        var (first, count) = (work.Range.First, work.Range.Count);
        var part = work.Files.RangeShard("predict", first, count);
        var result = await ModelPredictor.PredictShardsAsync(
            work.Files.Resolve(parameters.Model),
            work.Files.Resolve(parameters.Crops),
            [.. Enumerable.Range(first, count)],
            part + ".tmp.parquet",
            parameters.Options,
            new Observer(work.Progress),
            cancellationToken).ConfigureAwait(false);

        FaceClusterTelemetry.PredictionsCompleted.Add(result.Rows, new KeyValuePair<string, object?>("facecluster.stage", PredictStages.Predict));

        // The counts first, the part last: a present part is a finished range.
        await AtomicFile.WriteJsonAsync(SkippedOf(part), result.Skipped, cancellationToken).ConfigureAwait(false);
        File.Move(part + ".tmp.parquet", part, overwrite: true);
    }

    private static async Task AggregateAsync(RangeWork work, PredictParameters parameters, CancellationToken cancellationToken)
    {
        var manifest = ModelManifest.Read(work.Files.Resolve(parameters.Model));
        var parts = Directory.EnumerateFiles(work.Files.Shards, "predict-*.parquet").Where(p => !p.EndsWith(".tmp.parquet", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            var counts = await StageTasks.ReadJsonAsync<Dictionary<string, int>>(SkippedOf(part), cancellationToken).ConfigureAwait(false);
            foreach (var (status, n) in counts)
            {
                skipped[status] = skipped.GetValueOrDefault(status) + n;
            }
        }

        using var output = StagedOutputDirectory.Create(work.Files.Output(work.Request), overwrite: true);
        var path = output.GetPath(PredictionsFile);
        int rows;
        if (parameters.Options.Kind == PredictionKind.Seed)
        {
            var all = Path.Combine(work.Files.Shards, "predict-all.tmp.parquet");
            await ModelPredictor.CombinePartsAsync(parts, all, manifest.Attributes, cancellationToken).ConfigureAwait(false);
            rows = await ModelPredictor.WriteSeedTableAsync(all, path, manifest.Attributes, cancellationToken).ConfigureAwait(false);
            File.Delete(all);
        }
        else
        {
            rows = await ModelPredictor.CombinePartsAsync(parts, path, manifest.Attributes, cancellationToken).ConfigureAwait(false);
        }

        var summary = new JsonObject
        {
            ["rows"] = rows,
            ["kind"] = parameters.Options.Kind.ToString().ToLowerInvariant(),
            ["model"] = parameters.Model,
            ["crops"] = parameters.Crops,
            ["attributes"] = manifest.Attributes.Count,
            ["without_crop"] = new JsonObject(skipped.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["ranges"] = parts.Count,
            ["run_id"] = work.Files.RunId,
            ["versions"] = Outputs.SummaryJson.Versions(),
        };
        await AtomicFile.WriteJsonAsync(output.GetPath("summary.json"), summary, cancellationToken).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Passes the predictor's progress on as the range's.</summary>
    private sealed class Observer(IProgress<RangeProgress> range) : ITrainingObserver
    {
        public void Progress(TrainingProgress progress) =>
            range.Report(new RangeProgress(progress.Done, progress.Total, string.Create(CultureInfo.InvariantCulture, $"{progress.Phase}")));

        public void Warning(string message)
        {
            // Images without a crop are counted in summary.json; other warnings are the model's, seen at training.
        }
    }
}
