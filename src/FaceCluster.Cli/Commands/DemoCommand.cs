using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceCluster.Cli.Cluster;
using FaceCluster.Learning.Training;
using FaceCluster.Reports;
using FaceCluster.Synthetic;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster demo</c>, the main job: generates a synthetic study with a known answer, runs the whole pipeline on it
/// (<c>facecluster run</c>) and compares what it found with the planted truth.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Builds <c>demo</c>.</summary>
    public static Command Create(CliContext context)
    {
        var output = new Option<string>("--out", "-o") { Description = "Output folder: study/ and run/ (replaced if it exists).", DefaultValueFactory = _ => Path.Combine("out", "demo"), HelpName = "DIR" };
        var scale = new Option<string>("--scale") { Description = "tiny (60 seeds, 1,020 mimics) or small (300 seeds, 9,900 mimics).", DefaultValueFactory = _ => "tiny" };
        scale.AcceptOnlyFromAmong("tiny", "small");
        var settings = new PpcaSettingsOptions(defaultReplicates: 50);
        var command = new Command("demo", "Generate a study with a known answer, run the whole analysis on it and compare (the main job).") { output, scale };
        settings.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(
            context,
            parse.GetRequiredValue(output),
            parse.GetValue(scale) == "small" ? StudyScale.Small : StudyScale.Tiny,
            settings.Read(parse),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string outputPath, StudyScale scale, Analysis.PpcaOptions ppca, CancellationToken cancellationToken)
    {
        PpcaSettingsOptions.Validate(ppca);
        var folder = Path.GetFullPath(outputPath);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        var studyPath = Path.Combine(folder, "study");
        var study = SyntheticStudy.Create(new SyntheticStudyOptions { Scale = scale, Seed = ppca.Seed });
        var generated = await context.Progress.RunAsync(async reporter =>
        {
            using var step = reporter.Start("study: render faces and ratings", study.Options.SeedCount + ((long)study.Options.SeedCount * study.Options.MimicsPerSeedCount));
            return await SyntheticStudyGenerator.GenerateAsync(study, studyPath, overwrite: false, step.Advance, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        await context.Output.WriteLineAsync(Invariant(
            $"Synthetic study: {generated.Seeds} seeds, {generated.Mimics} mimics rendered, {generated.Events} rating events from {study.Options.Countries.Count} countries; {study.Options.Dimensions} planted dimensions, {study.Options.Universal} of them universal (study/, study/truth.json).")).ConfigureAwait(false);

        // The paper's head settings need hundreds of thousands of mimics; a demo-sized study learns with a larger step,
        // smaller batches and more epochs (the same settings `facecluster run --epochs/--batch-size` reach).
        var training = new TrainingOptions
        {
            Epochs = scale == StudyScale.Small ? 6 : 30,
            BatchSize = 32,
            LearningRate = 1e-3,
            LearningRateStepBatches = 150,
            LearningRateGamma = 0.5,
            Dropout = 0.2,
            HeldOutFraction = 0.1,
            Seed = ppca.Seed,
            CheckpointEveryBatches = 0,
            CheckpointEveryEpochs = 0,
        };
        var run = Path.Combine(folder, "run");
        await PipelineCommand.RunAsync(context, studyPath, run, PipelineCommand.Parameters(ppca, training), 0, new Execution(false, null, null), cancellationToken).ConfigureAwait(false);
        await CompareAsync(context, studyPath, run, cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>What the run found beside what was planted (truth.json).</summary>
    private static async Task CompareAsync(CliContext context, string study, string run, CancellationToken cancellationToken)
    {
        using var truth = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(study, "truth.json"), cancellationToken).ConfigureAwait(false));
        var dimensions = truth.RootElement.GetProperty("dimensions");
        var planted = dimensions.GetArrayLength();
        var universal = dimensions.EnumerateArray().Count(d => d.GetProperty("universal").GetBoolean());
        using var ppca = await EmbeddedRun.ReadSummaryAsync(Path.Combine(run, "ppca"), cancellationToken).ConfigureAwait(false);
        using var gppca = await EmbeddedRun.ReadSummaryAsync(Path.Combine(run, "gppca"), cancellationToken).ConfigureAwait(false);
        using var model = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "model", ModelManifest.FileName), cancellationToken).ConfigureAwait(false));
        var training = model.RootElement.GetProperty("training");
        var heldOut = training.GetProperty("held_out_mse");
        await context.Output.WriteLineAsync(Invariant(
            $"DNN: held-out MSE {heldOut[heldOut.GetArrayLength() - 1].GetDouble():F4} against {training.GetProperty("baseline_mse").GetDouble():F4} for the mean predictor.")).ConfigureAwait(false);
        await context.Output.WriteLineAsync(Invariant(
            $"Planted: {planted} dimensions ({universal} universal). Found: {PipelineCommand.Number(ppca.RootElement, "n_significant")} significant dimensions of the DNN's predictions against the judgments (PPCA); {PipelineCommand.Number(gppca.RootElement, "n_preserved")} dimensions of the judgments preserved across countries (G-PPCA).")).ConfigureAwait(false);

        // The recovery is the report's own table (the pipeline's report stage computed it the same way).
        var results = await RunResults.LoadAsync(ReportInputs.Locate(run, Path.Combine(study, "truth.json")), cancellationToken).ConfigureAwait(false);
        await ReportCommand.WriteRecoveryAsync(context, TruthRecovery.Compare(results.Ppca, TruthRecovery.Planted(results.Truth!))).ConfigureAwait(false);
        await context.Output.WriteLineAsync($"Report: {Path.Combine(run, ReportBuilder.HtmlFileName)} (open it in a browser; figures as PNG and SVG in {Path.Combine(run, ReportBuilder.FiguresFolderName)}).").ConfigureAwait(false);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
