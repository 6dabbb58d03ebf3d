using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceCluster.Cli.Progress;
using FaceCluster.Grains;
using FaceCluster.Studies;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster study validate|aggregate</c>: check a study folder (study-format.md) and derive its judgments and
/// targets.
/// </summary>
/// <remarks>
/// <c>validate</c> prints every kept problem as <c>FILE:ROW: error|warning: [column "C": ]MESSAGE</c> on standard
/// output (at most <c>--max-per-kind</c> of each kind, with a line counting the rest), then a summary; exit code 2
/// when there is any error, 0 with warnings only. <c>aggregate</c> validates the same way (problems on standard
/// error), refuses with exit code 2 on any error, and writes <c>judgments.parquet</c>, <c>targets.parquet</c> and
/// <c>summary.json</c> into a staged output folder.
/// </remarks>
internal static class StudyCommand
{
    private static readonly string[] Formats = ["text", "json"];

    /// <summary>Builds the <c>study</c> command group.</summary>
    public static Command Create(CliContext context) =>
        new("study", "Study folders (study.json, images and ratings tables, image files): generate a synthetic one, validate them and derive judgments and targets.")
        {
            StudyGenerateCommand.Create(context),
            CreateValidate(context),
            CreateAggregate(context),
        };

    private static Argument<string> FolderArgument() =>
        new("DIR") { Description = "The study folder (holding study.json, images.parquet|csv, ratings.parquet|csv and the images)." };

    private static Option<bool> DecodeOption() =>
        new("--decode") { Description = "Decode every pixel of every image (slow) instead of only the header; catches files truncated after the header." };

    private static Option<bool> DropIncompleteOption() =>
        new("--drop-incomplete") { Description = "Drop seeds that lack self_report events in some country (a warning naming them) instead of refusing the study." };

    private static Option<int> MaxPerKindOption() =>
        new("--max-per-kind") { Description = "Print at most N problems of each kind (all are counted).", DefaultValueFactory = _ => 20, HelpName = "N" };

    private static Command CreateValidate(CliContext context)
    {
        var folder = FolderArgument();
        var decode = DecodeOption();
        var drop = DropIncompleteOption();
        var maxPerKind = MaxPerKindOption();
        var format = new Option<string>("--format", "-f") { Description = "Report format: text (one line per problem) or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong(Formats);
        var command = new Command(
            "validate",
            "Check a study folder and report every problem with its file, row and column. Exit code 2 on errors, 0 when there are only warnings.")
        {
            folder, decode, format, drop, maxPerKind,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new StudyValidationOptions
            {
                DecodeImages = parseResult.GetValue(decode),
                DropIncompleteSeeds = parseResult.GetValue(drop),
                MaxProblemsPerKind = CheckMaxPerKind(parseResult.GetValue(maxPerKind)),
            };
            var watch = Stopwatch.StartNew();
            var result = await ValidateAsync(context, parseResult.GetRequiredValue(folder), options, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(format) == "json")
            {
                await context.Output.WriteLineAsync(ToJson(result, watch.Elapsed).ToJsonString(AtomicFile.JsonOptions)).ConfigureAwait(false);
            }
            else
            {
                await WriteReportAsync(context.Output, result, watch.Elapsed).ConfigureAwait(false);
            }

            return result.HasErrors ? ExitCodes.BadInput : ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateAggregate(CliContext context)
    {
        var folder = FolderArgument();
        var output = AnalyzeCommand.OutputOption();
        var drop = DropIncompleteOption();
        var overwrite = AnalyzeCommand.OverwriteOption();
        var decode = DecodeOption();
        var maxPerKind = MaxPerKindOption();
        var command = new Command(
            "aggregate",
            "Validate a study folder, then write judgments.parquet (mean self_report intensities), targets.parquet (mean over all events, min-max scaled) and summary.json.")
        {
            folder, output, drop, overwrite, decode, maxPerKind,
        };
        command.SetAction((parseResult, cancellationToken) => AggregateAsync(
            context,
            parseResult.GetRequiredValue(folder),
            parseResult.GetRequiredValue(output),
            parseResult.GetValue(overwrite),
            new StudyValidationOptions
            {
                DecodeImages = parseResult.GetValue(decode),
                DropIncompleteSeeds = parseResult.GetValue(drop),
                MaxProblemsPerKind = CheckMaxPerKind(parseResult.GetValue(maxPerKind)),
            },
            cancellationToken));
        return command;
    }

    private static int CheckMaxPerKind(int value) =>
        value >= 0 ? value : throw new InvalidInputException($"--max-per-kind must be 0 or more (got {value})");

    /// <summary>Validates with progress on standard error.</summary>
    internal static Task<StudyValidationResult> ValidateAsync(
        CliContext context, string folder, StudyValidationOptions options, CancellationToken cancellationToken)
    {
        // Refuse a missing folder before any progress output.
        StudyFolder.Open(folder);
        return context.Progress.RunAsync(reporter =>
        {
            using var progress = new StageProgressAdapter(reporter);
            return StudyValidator.ValidateAsync(folder, options, progress, cancellationToken);
        });
    }

    private static async Task<int> AggregateAsync(
        CliContext context, string folder, string outputPath, bool overwrite, StudyValidationOptions options, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        StudyFolder.Open(folder);
        using var output = StagedOutputDirectory.Create(outputPath, overwrite);
        var validation = await ValidateAsync(context, folder, options, cancellationToken).ConfigureAwait(false);
        var validateSeconds = total.Elapsed.TotalSeconds;
        if (validation.Problems.Count > 0 || validation.SkippedChecks.Count > 0)
        {
            await WriteProblemsAsync(context.Error, validation).ConfigureAwait(false);
        }

        if (validation.HasErrors)
        {
            throw InvalidInputException.InFile(
                folder, $"{Count(validation.ErrorCount, "error")} (listed above); nothing was written");
        }

        var watch = Stopwatch.StartNew();
        var aggregation = StudyAggregator.Aggregate(validation);
        var aggregateSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        await aggregation.WriteAsync(output.StagingPath, cancellationToken).ConfigureAwait(false);
        var summary = StudyAggregateRunKind.Summary(validation, aggregation, validateSeconds, aggregateSeconds, watch.Elapsed.TotalSeconds, total.Elapsed.TotalSeconds);
        await AtomicFile.WriteJsonAsync(output.GetPath("summary.json"), summary, cancellationToken).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);

        var s = validation.Statistics;
        await context.Output.WriteLineAsync(Invariant(
            $"Aggregated {aggregation.SeedIds.Count} seeds x {aggregation.Attributes.Count} attributes ({aggregation.Manifest.Countries.Count} countries x {aggregation.Manifest.Concepts.Count} concepts) from {s.RatingRows} rating rows, {s.SelfReportEvents + s.PerceiverEvents} events on {s.Mimics} mimics in {total.Elapsed.TotalSeconds:F1} s.")).ConfigureAwait(false);
        if (aggregation.DroppedSeeds.Count > 0)
        {
            await context.Output.WriteLineAsync(
                $"Dropped {Count(aggregation.DroppedSeeds.Count, "seed")} lacking self_report events in some country: {Abbreviate(aggregation.DroppedSeeds)}.").ConfigureAwait(false);
        }

        if (validation.WarningCount > 0)
        {
            await context.Output.WriteLineAsync($"{Count(validation.WarningCount, "warning")} (see standard error).").ConfigureAwait(false);
        }

        await context.Output.WriteLineAsync($"Results in {output.TargetPath}").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>The text report of <c>study validate</c>: problems, counts of those not shown, a summary.</summary>
    internal static async Task WriteReportAsync(TextWriter writer, StudyValidationResult result, TimeSpan elapsed)
    {
        await WriteProblemsAsync(writer, result).ConfigureAwait(false);
        var s = result.Statistics;
        var name = result.Manifest is { } manifest ? $"Study \"{manifest.Name}\"" : "Study";
        await writer.WriteLineAsync(Invariant(
            $"{name}: {s.Images} images ({s.Seeds} seeds, {s.Mimics} mimics, {s.ImageFilesChecked} image files checked); {s.RatingRows} rating rows, {s.Events} events ({s.SelfReportEvents} self_report and {s.PerceiverEvents} perceiver on mimics, {s.SeedImageEvents} on seeds); checked in {elapsed.TotalSeconds:F1} s.")).ConfigureAwait(false);
        await writer.WriteLineAsync(result.HasErrors
            ? $"{Count(result.ErrorCount, "error")}, {Count(result.WarningCount, "warning")}: the study is not valid."
            : $"No errors, {Count(result.WarningCount, "warning")}: the study is valid.").ConfigureAwait(false);
    }

    private static async Task WriteProblemsAsync(TextWriter writer, StudyValidationResult result)
    {
        foreach (var problem in result.Problems)
        {
            await writer.WriteLineAsync(problem.ToString()).ConfigureAwait(false);
        }

        foreach (var count in result.Counts.Where(c => c.Count > c.Kept))
        {
            await writer.WriteLineAsync(Invariant(
                $"… {count.Count - count.Kept} more {Slug(count.Kind)} {(count.Severity == StudyProblemSeverity.Error ? "error" : "warning")}(s) not shown ({count.Count} in all)")).ConfigureAwait(false);
        }

        foreach (var skipped in result.SkippedChecks)
        {
            await writer.WriteLineAsync($"not checked: {skipped}").ConfigureAwait(false);
        }
    }

    private static JsonObject ToJson(StudyValidationResult result, TimeSpan elapsed)
    {
        var s = result.Statistics;
        return new JsonObject
        {
            ["folder"] = result.Folder.Path,
            ["valid"] = !result.HasErrors,
            ["errors"] = result.ErrorCount,
            ["warnings"] = result.WarningCount,
            ["statistics"] = JsonSerializer.SerializeToNode(s, AtomicFile.JsonOptions),
            ["counts"] = new JsonArray([.. result.Counts.Select(c => (JsonNode?)new JsonObject
            {
                ["kind"] = Slug(c.Kind),
                ["severity"] = c.Severity == StudyProblemSeverity.Error ? "error" : "warning",
                ["count"] = c.Count,
                ["shown"] = c.Kept,
            })]),
            ["problems"] = new JsonArray([.. result.Problems.Select(p => (JsonNode?)new JsonObject
            {
                ["severity"] = p.IsError ? "error" : "warning",
                ["kind"] = Slug(p.Kind),
                ["file"] = p.File,
                ["row"] = p.Row,
                ["column"] = p.Column,
                ["message"] = p.Message,
            })]),
            ["skipped_checks"] = new JsonArray([.. result.SkippedChecks.Select(c => (JsonNode?)c)]),
            ["seconds"] = elapsed.TotalSeconds,
        };
    }

    /// <summary>A problem kind in kebab case: <c>UnknownConcept</c> becomes <c>unknown-concept</c>.</summary>
    internal static string Slug(StudyProblemKind kind)
    {
        var name = kind.ToString();
        var text = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }

    private static string Abbreviate(IReadOnlyList<string> ids, int shown = 10) =>
        string.Join(", ", ids.Take(shown)) + (ids.Count > shown ? $", … ({ids.Count - shown} more)" : string.Empty);

    private static string Count(long n, string noun) => Invariant($"{n} {noun}{(n == 1 ? string.Empty : "s")}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
