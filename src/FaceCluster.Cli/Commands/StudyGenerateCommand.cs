using System.CommandLine;
using System.Globalization;
using FaceCluster.Synthetic;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster study generate</c>: writes a synthetic study folder with a known answer (study-format.md plus
/// <c>truth.json</c>): rendered seed and mimic faces, their face boxes, and self-report and perceiver ratings.
/// </summary>
internal static class StudyGenerateCommand
{
    /// <summary>Builds the <c>generate</c> command of the <c>study</c> group.</summary>
    internal static Command Create(CliContext context)
    {
        var output = AnalyzeCommand.OutputOption();
        var overwrite = AnalyzeCommand.OverwriteOption();
        var scale = new Option<string>("--scale") { Description = "Preset size: tiny (about 60 seeds, 1,000 mimics), small (300, 10,000) or paper (4,659, about 450,000).", DefaultValueFactory = _ => "tiny" };
        scale.AcceptOnlyFromAmong("tiny", "small", "paper");
        var seed = new Option<ulong>("--seed") { Description = "Seed of every random stream; the same seed gives the same bytes.", DefaultValueFactory = _ => 1UL };
        var seeds = new Option<int?>("--seeds") { Description = "Seed images [default: the scale's].", HelpName = "N" };
        var mimics = new Option<int?>("--mimics-per-seed") { Description = "Mimics of each seed, spread over the countries in turn [default: the scale's: 17, 33, 97].", HelpName = "M" };
        var countries = new Option<string>("--countries") { Description = "Countries, comma-separated, among CN,ET,IN,ZA,US,VE.", DefaultValueFactory = _ => string.Join(',', EmotionConcepts.Countries), HelpName = "LIST" };
        var concepts = new Option<int>("--concepts") { Description = "Concepts: the first N of the paper's 48.", DefaultValueFactory = _ => 48, HelpName = "N" };
        var dimensions = new Option<int>("--dims") { Description = "Planted expression dimensions.", DefaultValueFactory = _ => 28, HelpName = "D" };
        var universal = new Option<int>("--universal") { Description = "Planted dimensions that mean the same concepts in every country.", DefaultValueFactory = _ => 21, HelpName = "U" };
        var perceivers = new Option<int>("--perceiver-events") { Description = "Perceiver rating events per mimic (besides the maker's self-report).", DefaultValueFactory = _ => 2, HelpName = "N" };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0: all cores); the output does not depend on it.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var command = new Command("generate", "Generate a synthetic study with a known answer: faces, face boxes, ratings, truth.json.")
        {
            output, scale, seed, seeds, mimics, countries, concepts, dimensions, universal, perceivers, threads, overwrite,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new SyntheticStudyOptions
            {
                Scale = ParseScale(parseResult.GetRequiredValue(scale)),
                Seed = parseResult.GetValue(seed),
                Seeds = parseResult.GetValue(seeds),
                MimicsPerSeed = parseResult.GetValue(mimics),
                Countries = [.. parseResult.GetRequiredValue(countries).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => c.ToUpperInvariant())],
                Concepts = parseResult.GetValue(concepts),
                Dimensions = parseResult.GetValue(dimensions),
                Universal = parseResult.GetValue(universal),
                PerceiverEventsPerMimic = parseResult.GetValue(perceivers),
                Threads = parseResult.GetValue(threads),
            };
            var summary = await RunAsync(context, options, parseResult.GetRequiredValue(output), parseResult.GetValue(overwrite), "generate", cancellationToken).ConfigureAwait(false);
            await context.Output.WriteLineAsync(Describe(summary)).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The scale named on the command line.</summary>
    internal static StudyScale ParseScale(string name) => name switch
    {
        "tiny" => StudyScale.Tiny,
        "small" => StudyScale.Small,
        "paper" => StudyScale.Paper,
        _ => throw new InvalidInputException($"--scale must be tiny, small or paper (got \"{name}\")"),
    };

    /// <summary>Validates the options and generates the study with a progress bar over images.</summary>
    internal static async Task<SyntheticStudySummary> RunAsync(
        CliContext context, SyntheticStudyOptions options, string outputPath, bool overwrite, string stepName, CancellationToken cancellationToken)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new InvalidInputException(string.Join("; ", errors));
        }

        var study = SyntheticStudy.Create(options);
        using var folder = StagedOutputDirectory.Create(outputPath, overwrite);
        return await context.Progress.RunAsync(async reporter =>
        {
            using var step = reporter.Start($"{stepName}: images", study.ImageCount);
            return await SyntheticStudyGenerator.GenerateAsync(study, folder, n => step.Advance(n), cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>One line on what was written.</summary>
    internal static string Describe(SyntheticStudySummary summary) => string.Create(
        CultureInfo.InvariantCulture,
        $"Generated {summary.Seeds} seeds, {summary.Mimics} mimics, {summary.Events} rating events ({summary.RatingRows} rows) in {summary.Elapsed.TotalSeconds:F1} s: {summary.Folder}");
}
