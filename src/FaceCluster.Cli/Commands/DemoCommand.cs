using System.CommandLine;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Outputs;
using FaceCluster.Studies;
using FaceCluster.Synthetic;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster demo</c>: the main job on an embedded default. Generates a PPCA input with a known
/// answer (6 countries x 48 concepts, planted dimensions), writes it as the tables a researcher would
/// bring, analyses it like <c>analyze ppca</c>, and compares what was found with what was planted.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Builds the <c>demo</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var output = new Option<string>("--out", "-o") { Description = "Output folder (replaced if it exists).", DefaultValueFactory = _ => Path.Combine("out", "demo"), HelpName = "DIR" };
        var stimuli = new Option<int>("--stimuli") { Description = "Seeds in the generated study.", DefaultValueFactory = _ => 600, HelpName = "N" };
        var dimensions = new Option<int>("--dimensions") { Description = "Planted dimensions.", DefaultValueFactory = _ => 12, HelpName = "K" };
        var settings = new PpcaSettingsOptions(defaultReplicates: 50);
        var command = new Command("demo", "Generate a study with a known answer and run the PPCA analysis on it (the main job).")
        {
            output, stimuli, dimensions,
        };
        settings.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetRequiredValue(output),
            parseResult.GetValue(stimuli),
            parseResult.GetValue(dimensions),
            settings.Read(parseResult),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string outputPath, int stimuli, int dimensions, PpcaOptions options, CancellationToken cancellationToken)
    {
        PpcaSettingsOptions.Validate(options);
        if (stimuli < 3 || dimensions < 1 || dimensions > 288)
        {
            throw new InvalidInputException($"--stimuli must be at least 3 and --dimensions between 1 and 288 (got {stimuli} and {dimensions})");
        }

        var planted = PlantedPpcaData.Generate(new PlantedPpcaOptions { Stimuli = stimuli, Dimensions = dimensions, Seed = options.Seed });
        using var folder = StagedOutputDirectory.Create(outputPath, overwrite: true);
        var studyReport = await RunStudyAsync(context, folder, options.Seed, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(folder.GetPath("inputs"));
        Directory.CreateDirectory(folder.GetPath("ppca"));
        var x = new WideTable(planted.SeedIds, planted.Attributes, planted.X.Values, "generated X");
        var y = new WideTable(planted.SeedIds, planted.Attributes, planted.Y.Values, "generated Y");
        await WideTableWriter.WriteParquetAsync(x, folder.GetPath(Path.Combine("inputs", "x.parquet")), cancellationToken).ConfigureAwait(false);
        await WideTableWriter.WriteParquetAsync(y, folder.GetPath(Path.Combine("inputs", "y.parquet")), cancellationToken).ConfigureAwait(false);
        await AtomicFile.WriteJsonAsync(
            folder.GetPath("truth.json"),
            new JsonObject
            {
                ["planted_dimensions"] = dimensions,
                ["stimuli"] = stimuli,
                ["strengths"] = new JsonArray([.. planted.Strengths.Select(s => JsonValue.Create(s))]),
                ["generator"] = "FaceCluster.Analysis.PlantedPpcaData: X = Z diag(s) Q^T + E_x, Y = Z diag(s) Q^T + E_y",
            },
            cancellationToken).ConfigureAwait(false);

        var result = await AnalyzeCommand.RunPpcaAsync(context, x, y, options, cancellationToken).ConfigureAwait(false);
        var inputs = new JsonObject { ["x"] = "inputs/x.parquet", ["y"] = "inputs/y.parquet" };
        await PpcaOutputs.WriteAsync(folder.GetPath("ppca"), result, planted.SeedIds, options, inputs, cancellationToken).ConfigureAwait(false);
        await folder.CommitAsync(cancellationToken).ConfigureAwait(false);

        foreach (var line in studyReport)
        {
            await context.Output.WriteLineAsync(line).ConfigureAwait(false);
        }

        await context.Output.WriteLineAsync($"PPCA engine on generated DNN-like outputs: {stimuli} seeds x {planted.Attributes.Length} attributes with {dimensions} planted dimensions (inputs/, truth.json).").ConfigureAwait(false);
        await AnalyzeCommand.WritePpcaReportAsync(context.Output, result, stimuli, Path.Combine(folder.TargetPath, "ppca")).ConfigureAwait(false);
        await context.Output.WriteLineAsync(
            result.SignificantCount == dimensions
                ? $"Recovered all {dimensions} planted dimensions."
                : $"Found {result.SignificantCount} significant dimensions where {dimensions} were planted.").ConfigureAwait(false);
        await context.Output.WriteLineAsync($"Everything is in {folder.TargetPath}").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// The study half of the demo: a tiny synthetic study (rendered faces, ratings from six countries) is
    /// generated into <c>study/</c>, validated and aggregated into <c>derived/</c> (judgments, targets),
    /// and G-PPCA of the judgments goes to <c>gppca/</c>, compared with the planted dimensions. PPCA of
    /// the DNN's predictions against the judgments joins once the DNN is trained on the crops.
    /// </summary>
    private static async Task<List<string>> RunStudyAsync(CliContext context, StagedOutputDirectory folder, ulong seed, CancellationToken cancellationToken)
    {
        var study = SyntheticStudy.Create(new SyntheticStudyOptions { Scale = StudyScale.Tiny, Seed = seed });
        var studyPath = folder.GetPath("study");
        var summary = await context.Progress.RunAsync(async reporter =>
        {
            using var step = reporter.Start("study: render faces and ratings", study.Options.SeedCount + ((long)study.Options.SeedCount * study.Options.MimicsPerSeedCount));
            return await SyntheticStudyGenerator.GenerateAsync(study, studyPath, overwrite: false, step.Advance, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);

        var aggregation = await StudyAggregator.AggregateAsync(studyPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        var derived = folder.GetPath("derived");
        Directory.CreateDirectory(derived);
        await aggregation.WriteAsync(derived, cancellationToken).ConfigureAwait(false);

        var judgments = new WideTable([.. aggregation.SeedIds], [.. aggregation.Attributes], aggregation.Judgments, "judgments");
        var grid = GppcaOutputs.GridOf(judgments);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var gppca = Gppca.Run(GppcaOutputs.Split(judgments, grid), Environment.ProcessorCount);
        var gppcaPath = folder.GetPath("gppca");
        Directory.CreateDirectory(gppcaPath);
        await GppcaOutputs.WriteAsync(
            gppcaPath, gppca, grid, judgments.RowCount, Environment.ProcessorCount,
            new JsonObject { ["judgments"] = "derived/judgments.parquet" }, watch.Elapsed.TotalSeconds, cancellationToken).ConfigureAwait(false);

        return
        [
            $"Synthetic study: {summary.Seeds} seeds, {summary.Mimics} mimics rendered, {summary.Events} rating events from {study.Options.Countries.Count} countries (study/, truth.json).",
            $"Aggregated judgments and targets of {aggregation.SeedIds.Count} seeds x {aggregation.Attributes.Count} attributes (derived/).",
            $"G-PPCA of the judgments: {gppca.PreservedCount} of {gppca.Dimensions} dimensions preserved across countries; {study.Options.Dimensions} were planted, and the seeds' contexts bias raters everywhere alike (gppca/).",
        ];
    }
}
