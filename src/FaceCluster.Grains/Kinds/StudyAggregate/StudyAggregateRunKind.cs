using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FaceCluster.Outputs;
using FaceCluster.Studies;
using FaceCluster.Tables;

namespace FaceCluster.Grains;

/// <summary>
/// Validation and aggregation of a study folder (study-format.md): one stage, <c>aggregate</c>, that checks the study
/// (any error refuses it, naming the file and row) and writes <c>judgments.parquet</c>, <c>targets.parquet</c> and
/// <c>summary.json</c> into the output folder.
/// </summary>
public sealed class StudyAggregateRunKind : OutputFolderRunKind<StudyAggregateParameters>
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "aggregate";

    /// <summary>Its one stage.</summary>
    public const string Stage = "aggregate";

    /// <summary>How many of the study's errors the failure message quotes.</summary>
    private const int QuotedErrors = 3;

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override string StageName => Stage;

    /// <inheritdoc />
    protected override Task WriteOutputsAsync(RangeWork work, StudyAggregateParameters parameters, CancellationToken cancellationToken) =>
        StageTasks.Offload(() => AggregateAsync(work, parameters, cancellationToken), cancellationToken).Unwrap();

    /// <summary>Validates <paramref name="folder"/>; any error refuses it with one line quoting the first few.</summary>
    /// <exception cref="InvalidInputException">The study has errors.</exception>
    public static async Task<StudyValidationResult> ValidateAsync(string folder, StudyValidationOptions options, IStudyProgress? progress, CancellationToken cancellationToken)
    {
        var validation = await StudyValidator.ValidateAsync(folder, options, progress, cancellationToken).ConfigureAwait(false);
        if (validation.HasErrors)
        {
            var first = validation.Problems.Where(p => p.Severity == StudyProblemSeverity.Error).Take(QuotedErrors).Select(p => p.ToString());
            throw new InvalidInputException(
                $"{folder}: {validation.ErrorCount} error(s) in the study, nothing was written; first: {string.Join(" | ", first)}");
        }

        return validation;
    }

    private static async Task AggregateAsync(RangeWork work, StudyAggregateParameters parameters, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var folder = work.Files.Resolve(parameters.Study);
        var options = new StudyValidationOptions { DropIncompleteSeeds = parameters.DropIncomplete, DecodeImages = parameters.Decode };
        var validation = await ValidateAsync(folder, options, new Progress(work.Progress), cancellationToken).ConfigureAwait(false);
        var validateSeconds = total.Elapsed.TotalSeconds;
        var watch = Stopwatch.StartNew();
        var aggregation = StudyAggregator.Aggregate(validation);
        var aggregateSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        using var output = StagedOutputDirectory.Create(work.Files.Output(work.Request), overwrite: true);
        await aggregation.WriteAsync(output.StagingPath, cancellationToken).ConfigureAwait(false);
        var summary = Summary(validation, aggregation, validateSeconds, aggregateSeconds, watch.Elapsed.TotalSeconds, total.Elapsed.TotalSeconds);
        summary["run_id"] = work.Files.RunId;
        await AtomicFile.WriteJsonAsync(output.GetPath("summary.json"), summary, cancellationToken).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The <c>summary.json</c> of an aggregation.</summary>
    public static JsonObject Summary(
        StudyValidationResult validation, StudyAggregation aggregation, double validateSeconds, double aggregateSeconds, double writeSeconds, double totalSeconds)
    {
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(aggregation);
        var s = validation.Statistics;
        var manifest = aggregation.Manifest;
        return new JsonObject
        {
            ["study"] = manifest.Name,
            ["folder"] = validation.Folder.Path,
            ["inputs"] = new JsonObject
            {
                ["manifest"] = validation.Folder.ManifestPath,
                ["images"] = validation.Folder.ImagesPath,
                ["ratings"] = validation.Folder.RatingsPath,
            },
            ["countries"] = new JsonArray([.. manifest.Countries.Select(c => (JsonNode?)c)]),
            ["concepts"] = manifest.Concepts.Count,
            ["attributes"] = aggregation.Attributes.Count,
            ["seeds"] = aggregation.SeedIds.Count,
            ["seeds_in_study"] = s.Seeds,
            ["dropped_seeds"] = new JsonArray([.. aggregation.DroppedSeeds.Select(d => (JsonNode?)d)]),
            ["mimics"] = s.Mimics,
            ["images"] = s.Images,
            ["image_files_checked"] = s.ImageFilesChecked,
            ["rating_rows"] = s.RatingRows,
            ["events"] = s.Events,
            ["self_report_events"] = s.SelfReportEvents,
            ["perceiver_events"] = s.PerceiverEvents,
            ["ignored_seed_image_events"] = s.SeedImageEvents,
            ["warnings"] = validation.WarningCount,
            ["country_of_a_rating"] = "the rating event's country column (the rater's; for self_report also the mimic maker's)",
            ["targets_scaling"] = "min-max per column over the seeds kept; a constant column scales to 0",
            ["timings"] = new JsonObject
            {
                ["validate_seconds"] = validateSeconds,
                ["aggregate_seconds"] = aggregateSeconds,
                ["write_seconds"] = writeSeconds,
                ["total_seconds"] = totalSeconds,
            },
            ["versions"] = SummaryJson.Versions(),
        };
    }

    /// <summary>Passes the validator's progress on as the range's.</summary>
    private sealed class Progress(IProgress<RangeProgress> range) : IStudyProgress
    {
        public void Report(string stage, long completed, long total) =>
            range.Report(new RangeProgress(completed, total, string.Create(CultureInfo.InvariantCulture, $"validating: {stage}")));
    }
}
