using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Cli.Cluster;
using FaceCluster.Grains;
using FaceCluster.Learning.Prediction;
using FaceCluster.Learning.Training;
using FaceCluster.Outputs;
using FaceCluster.Studies;
using FaceCluster.Synthetic;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster demo</c>: the main job on an embedded default. Renders a tiny synthetic study and runs the whole
/// pipeline on it (aggregation, G-PPCA of the judgments, MTCNN face crops through the embedded cluster, the DNN trained
/// on the mimics and applied to the seeds, PPCA of its predictions against the judgments); then generates a PPCA input
/// with a known answer (6 countries x 48 concepts, planted dimensions), analyses it like <c>analyze ppca</c>, and
/// compares what was found with what was planted.
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
        var studyReport = await RunStudyAsync(context, folder, options, cancellationToken).ConfigureAwait(false);
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
    /// and G-PPCA of the judgments goes to <c>gppca/</c>, compared with the planted dimensions; then the DNN
    /// pipeline (<see cref="RunDnnAsync"/>).
    /// </summary>
    private static async Task<List<string>> RunStudyAsync(CliContext context, StagedOutputDirectory folder, PpcaOptions options, CancellationToken cancellationToken)
    {
        var study = SyntheticStudy.Create(new SyntheticStudyOptions { Scale = StudyScale.Tiny, Seed = options.Seed });
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

        List<string> report =
        [
            $"Synthetic study: {summary.Seeds} seeds, {summary.Mimics} mimics rendered, {summary.Events} rating events from {study.Options.Countries.Count} countries (study/, truth.json).",
            $"Aggregated judgments and targets of {aggregation.SeedIds.Count} seeds x {aggregation.Attributes.Count} attributes (derived/).",
            $"G-PPCA of the judgments: {gppca.PreservedCount} of {gppca.Dimensions} dimensions preserved across countries; {study.Options.Dimensions} were planted, and the seeds' contexts bias raters everywhere alike (gppca/).",
        ];
        report.AddRange(await RunDnnAsync(context, folder, judgments, options, cancellationToken).ConfigureAwait(false));
        return report;
    }

    /// <summary>
    /// The DNN half of the study: MTCNN crops of every image through the embedded cluster (<c>crops/</c>), the paper's
    /// model trained on the mimics toward their seeds' targets (<c>model/</c>; a seeded random trunk, since the VGGFace2
    /// weights are not at hand, and more, smaller batches than the paper's 452,783 faces call for), its predictions for
    /// the seeds (<c>model/predictions.parquet</c>), and PPCA of those predictions against the judgments
    /// (<c>dnn-ppca/</c>). MTCNN's weights are the ones built into FaceCluster.Vision unless
    /// <c>FACECLUSTER_MTCNN_MODELS</c> names a folder.
    /// </summary>
    private static async Task<List<string>> RunDnnAsync(
        CliContext context, StagedOutputDirectory folder, WideTable judgments, PpcaOptions options, CancellationToken cancellationToken)
    {
        var study = folder.GetPath("study");
        var crops = folder.GetPath("crops");
        await CropCommand.CropThroughClusterAsync(context, study, crops, new CropSettings(), workers: 0, new Execution(false, null, null), cancellationToken).ConfigureAwait(false);
        using var cropSummary = await EmbeddedRun.ReadSummaryAsync(crops, cancellationToken).ConfigureAwait(false);
        var cropped = cropSummary.RootElement;

        var model = folder.GetPath("model");
        var training = new TrainingOptions
        {
            Epochs = 30,
            BatchSize = 32,
            LearningRate = 1e-3,
            LearningRateStepBatches = 150,
            LearningRateGamma = 0.5,
            Dropout = 0.2,
            HeldOutFraction = 0.1,
            Seed = options.Seed,
            CheckpointEveryBatches = 0,
            CheckpointEveryEpochs = 0,
        };
        var inputs = new TrainingInputs(study, folder.GetPath(Path.Combine("derived", StudyAggregation.TargetsFile)), crops, model);
        var trained = await LearningCommands.WithProgressAsync(context, observer => ModelTrainer.TrainAsync(inputs, training, observer, cancellationToken)).ConfigureAwait(false);
        var summary = trained.Manifest.Training!;

        var predictions = Path.Combine(model, "predictions.parquet");
        await LearningCommands.WithProgressAsync(context, observer => ModelPredictor.PredictAsync(model, crops, predictions, new PredictionOptions(), observer, cancellationToken)).ConfigureAwait(false);
        var x = (await WideTableReader.ReadAsync(predictions, cancellationToken).ConfigureAwait(false)).AlignTo(judgments);
        var result = await AnalyzeCommand.RunPpcaAsync(context, x, judgments, options, cancellationToken).ConfigureAwait(false);
        var ppca = folder.GetPath("dnn-ppca");
        Directory.CreateDirectory(ppca);
        await PpcaOutputs.WriteAsync(
            ppca, result, judgments.SeedIds, options, new JsonObject { ["x"] = "model/predictions.parquet", ["y"] = "derived/judgments.parquet" }, cancellationToken).ConfigureAwait(false);

        return
        [
            string.Create(CultureInfo.InvariantCulture, $"MTCNN face crops of {cropped.GetProperty("images").GetInt64()} images through the embedded cluster: {cropped.GetProperty("detection_rate").GetDouble():P1} with a detected face (crops/)."),
            string.Create(CultureInfo.InvariantCulture, $"DNN (InceptionResnetV1, seeded random trunk: no VGGFace2 weights offline) trained {summary.EpochsDone} epochs on {summary.TrainFaces} mimics: held-out MSE {summary.HeldOutMse[^1]:F4} on {summary.HeldOutFaces} mimics vs {summary.BaselineMse:F4} for the mean predictor (model/)."),
            string.Create(CultureInfo.InvariantCulture, $"PPCA of its predictions for the {x.RowCount} seeds against the judgments: {result.SignificantCount} significant dimension(s) (dnn-ppca/)."),
        ];
    }
}
