using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceCluster.Cli.Cluster;
using FaceCluster.Grains;
using FaceCluster.Learning.Grains;
using FaceCluster.Learning.Training;
using FaceCluster.Studies;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster run STUDY --out RUN</c>: the whole analysis as one <c>pipeline</c> run (aggregate, crop, train,
/// predict, PPCA, G-PPCA) on the embedded cluster, whose data root is RUN itself (so its state survives a killed client
/// and the next <c>run</c> resumes it), or on the cluster <c>--cluster</c> names.
/// </summary>
internal static class PipelineCommand
{
    /// <summary>Builds <c>run</c>.</summary>
    public static Command Create(CliContext context)
    {
        var study = new Argument<string>("STUDY") { Description = "The study folder (study.json, images, ratings)." };
        var output = new Option<string>("--out", "-o") { Description = "The run folder (run.json, derived/, crops/, model/, predictions/, ppca/, gppca/); a rerun skips unchanged stages.", Required = true, HelpName = "RUN" };
        var backbone = new Option<string?>("--backbone-weights") { Description = "facenet-pytorch's VGGFace2 InceptionResnetV1 checkpoint for the trunk (without it, a seeded random trunk).", HelpName = "PATH" };
        var epochs = new Option<int?>("--epochs") { Description = "Training epochs [default: 2, the paper's].", HelpName = "N" };
        var batch = new Option<int?>("--batch-size") { Description = "Training batch [default: 1024].", HelpName = "N" };
        var shardSize = new Option<int?>("--shard-size") { Description = "Images per crop shard [default: 256].", HelpName = "N" };
        var dropIncomplete = new Option<bool>("--drop-incomplete") { Description = "Leave out seeds lacking self_report events in some country." };
        var workers = new Option<int>("--workers") { Description = "Worker slots of the embedded silo (0: one per core).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var morphCount = new Option<int>("--morph-count") { Description = "Top seeds per ranking whose mimics make each dimension's faces (by score and by differential score).", DefaultValueFactory = _ => 5, HelpName = "N" };
        var dataRoot = new Option<string?>("--data-root") { Description = "With --cluster: the data root the silos share (STUDY and RUN must lie under it).", HelpName = "DIR" };
        var cluster = new Option<string?>("--cluster") { Description = "Run on a cluster: redis://HOST:PORT/CLUSTER_ID [default: $FACECLUSTER_CLUSTER, else an embedded one].", HelpName = "ADDRESS" };
        var settings = new PpcaSettingsOptions();
        var command = new Command("run", "Run the whole analysis on a study: validate and aggregate, crop, train, predict the seeds, PPCA, G-PPCA, dimension morphs, report.")
        {
            study, output, backbone, epochs, batch, shardSize, dropIncomplete, workers, morphCount, dataRoot, cluster,
        };
        settings.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var ppca = settings.Read(parse);
            PpcaSettingsOptions.Validate(ppca);
            var defaults = new TrainingOptions();
            var training = defaults with
            {
                Epochs = parse.GetValue(epochs) ?? defaults.Epochs,
                BatchSize = parse.GetValue(batch) ?? defaults.BatchSize,
                Seed = ppca.Seed,
                BackboneWeights = parse.GetValue(backbone) is { } weights ? Path.GetFullPath(weights) : null,
            };
            var count = parse.GetValue(morphCount);
            if (count is < 1 or > MorphParameters.MaxCount)
            {
                throw new InvalidInputException($"--morph-count must be 1 to {MorphParameters.MaxCount}, got {count}");
            }

            var parameters = Parameters(ppca, training) with { DropIncomplete = parse.GetValue(dropIncomplete), MorphCount = count };
            if (parse.GetValue(shardSize) is { } size)
            {
                parameters = parameters with { Crop = parameters.Crop with { ShardSize = size } };
            }
            return RunAsync(
                context,
                parse.GetRequiredValue(study),
                parse.GetRequiredValue(output),
                parameters,
                parse.GetValue(workers),
                new Execution(false, parse.GetValue(dataRoot), parse.GetValue(cluster)),
                cancellationToken);
        });
        return command;
    }

    /// <summary>The pipeline's parameters from the PPCA settings and the training options (the other stages' defaults).</summary>
    public static PipelineParameters Parameters(Analysis.PpcaOptions ppca, TrainingOptions training)
    {
        ArgumentNullException.ThrowIfNull(ppca);
        return new PipelineParameters
        {
            Training = training,
            Ppca = new PpcaParameters
            {
                Bootstrap = ppca.Bootstrap,
                Replicates = ppca.Replicates,
                InnerBootstrap = ppca.InnerBootstrap,
                Seed = ppca.Seed,
                Loo = ppca.LeaveOneOut == Analysis.LeaveOneOutMethod.Naive ? "naive" : "fast",
                Threads = ppca.Threads,
            },
            GppcaThreads = ppca.Threads,
        };
    }

    /// <summary>Runs the pipeline on <paramref name="studyPath"/> into <paramref name="runPath"/> and prints what it found.</summary>
    public static async Task<int> RunAsync(
        CliContext context, string studyPath, string runPath, PipelineParameters parameters, int workers, Execution execution, CancellationToken cancellationToken)
    {
        var study = Path.GetFullPath(studyPath);
        if (!File.Exists(Path.Combine(study, StudyManifest.FileName)))
        {
            throw new InvalidInputException($"{study}: not a study folder ({StudyManifest.FileName} is missing)");
        }

        if (workers < 0)
        {
            throw new InvalidInputException($"--workers must be 0 (one per core) or more, got {workers}");
        }

        var run = Path.GetFullPath(runPath);
        Directory.CreateDirectory(run);
        var onCluster = EmbeddedRun.ClusterAddress(execution.Cluster) is not null;

        // On the embedded cluster the run folder is the data root: its grain state and shards stay with the results, so
        // a run whose client was killed is resumed by the next `run` into the same folder.
        var root = onCluster ? execution.DataRoot : run;
        await EmbeddedRun.RunAsync(
            context,
            execution with { DataRoot = root },
            workers,
            PipelineRunKind.KindName,
            (dataRoot, runId, _) =>
            {
                var output = Path.GetRelativePath(dataRoot, run) is var relative && relative != "." ? EmbeddedRun.Reference(dataRoot, RunPaths.Inputs(runId), run, "run", onCluster) : ".";
                var request = RunParameters.Request(
                    PipelineRunKind.KindName,
                    output,
                    parameters with { Study = EmbeddedRun.Reference(dataRoot, "inputs", study, "study", onCluster), StudyName = study });
                return Task.FromResult(request);
            },
            stagingFolder: null,
            cancellationToken,
            resume: _ => UnfinishedRun(run)).ConfigureAwait(false);
        await WriteReportAsync(context, run, cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>The id of a pipeline run that <c>run.json</c> says did not finish (its client or silo was killed), or null.</summary>
    private static string? UnfinishedRun(string run) =>
        PipelineRecord.TryRead(Path.Combine(run, PipelineRecord.FileName)) is { State: "running" } record ? record.RunId : null;

    /// <summary>Prints one line per stage from <c>run.json</c> and the main findings.</summary>
    public static async Task WriteReportAsync(CliContext context, string run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var record = PipelineRecord.TryRead(Path.Combine(run, PipelineRecord.FileName)) ?? throw new InvalidOperationException($"{run}: no run.json");
        foreach (var stage in record.Stages)
        {
            await context.Output.WriteLineAsync(Invariant($"  {stage.Name,-10} {stage.Outcome,-10} {stage.Seconds ?? 0,8:F1} s  {stage.Output}")).ConfigureAwait(false);
        }

        using var ppca = await EmbeddedRun.ReadSummaryAsync(Path.Combine(run, "ppca"), cancellationToken).ConfigureAwait(false);
        using var gppca = await EmbeddedRun.ReadSummaryAsync(Path.Combine(run, "gppca"), cancellationToken).ConfigureAwait(false);
        await context.Output.WriteLineAsync(Invariant(
            $"PPCA of the DNN's seed predictions against the judgments: {Number(ppca.RootElement, "n_significant")} significant dimension(s); G-PPCA of the judgments: {Number(gppca.RootElement, "n_preserved")} dimension(s) preserved across countries.")).ConfigureAwait(false);
        await context.Output.WriteLineAsync($"Results in {run} (run.json records every stage)").ConfigureAwait(false);
        var report = Path.Combine(run, Reports.ReportBuilder.HtmlFileName);
        if (File.Exists(report))
        {
            await context.Output.WriteLineAsync($"Report: {report}").ConfigureAwait(false);
        }
    }

    /// <summary>A whole number from a summary, or "?" when absent.</summary>
    internal static string Number(JsonElement summary, string name) =>
        summary.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64().ToString(CultureInfo.InvariantCulture) : "?";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
