using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Cli.Cluster;
using FaceCluster.Grains;
using FaceCluster.Outputs;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster analyze gppca --judgments J --out DIR</c>: generalized PPCA of judgments across
/// countries (analysis.md section 8), writing <c>gppca.parquet</c> and <c>summary.json</c>.
/// </summary>
internal static class GppcaCommand
{
    /// <summary>Builds the <c>analyze gppca</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var judgments = new Option<string>("--judgments", "-j")
        {
            Description = "Judgments per seed: a wide .parquet or .csv table with columns {country}:{concept} (every country with every concept).",
            Required = true,
            HelpName = "FILE",
        };
        var output = AnalyzeCommand.OutputOption();
        var overwrite = AnalyzeCommand.OverwriteOption();
        var threads = new Option<int>("--threads") { Description = "Worker threads (0: all cores); results do not depend on it.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var execution = new ExecutionOptions();
        var command = new Command("gppca", "Dimensions of judgments preserved across countries (generalized PPCA with leave-one-out and pairwise tests).")
        {
            judgments, output, overwrite, threads,
        };
        execution.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetRequiredValue(judgments),
            parseResult.GetRequiredValue(output),
            parseResult.GetValue(overwrite),
            parseResult.GetValue(threads),
            execution.Read(parseResult),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        CliContext context, string path, string outputPath, bool overwrite, int threads, Execution execution, CancellationToken cancellationToken)
    {
        if (threads < 0)
        {
            throw new InvalidInputException($"--threads must be 0 (all cores) or more, got {threads}");
        }

        var table = await WideTableReader.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        var grid = GppcaOutputs.GridOf(table);
        using var output = StagedOutputDirectory.Create(outputPath, overwrite);
        if (!execution.InProcess)
        {
            await EmbeddedRun.RunAsync(
                context,
                execution,
                threads,
                GppcaRunKind.KindName,
                async (root, runId, ct) =>
                {
                    var input = $"{RunPaths.Inputs(runId)}/judgments.parquet";
                    Directory.CreateDirectory(DataRootPaths.Resolve(root, RunPaths.Inputs(runId)));
                    await WideTableWriter.WriteParquetAsync(table, DataRootPaths.Resolve(root, input), ct).ConfigureAwait(false);
                    return RunParameters.Request(
                        GppcaRunKind.KindName, RunPaths.Output(runId), new GppcaParameters { Judgments = input, Threads = threads, JudgmentsName = Path.GetFullPath(path) });
                },
                output.StagingPath,
                cancellationToken).ConfigureAwait(false);
            await output.CommitAsync(cancellationToken).ConfigureAwait(false);
            using var summary = await EmbeddedRun.ReadSummaryAsync(output.TargetPath, cancellationToken).ConfigureAwait(false);
            await WriteReportAsync(
                context, table.RowCount, grid, summary.RootElement.GetProperty("n_preserved").GetInt32(), summary.RootElement.GetProperty("dimensions_tested").GetInt32(), output.TargetPath)
                .ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var countries = GppcaOutputs.Split(table, grid);
        var workers = threads > 0 ? threads : Environment.ProcessorCount;
        var watch = Stopwatch.StartNew();
        var result = await context.Progress.RunAsync(async reporter =>
        {
            using var step = reporter.Start("G-PPCA leave-one-out and tests", 1);
            var run = await Task.Run(() => Gppca.Run(countries, workers), cancellationToken).ConfigureAwait(false);
            step.Advance();
            return run;
        }).ConfigureAwait(false);
        await GppcaOutputs.WriteAsync(
            output.StagingPath, result, grid, table.RowCount, workers, new JsonObject { ["judgments"] = Path.GetFullPath(path) }, watch.Elapsed.TotalSeconds, cancellationToken)
            .ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        await WriteReportAsync(context, table.RowCount, grid, result.PreservedCount, result.Dimensions, output.TargetPath).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static async Task WriteReportAsync(CliContext context, int stimuli, AttributeGrid grid, int preserved, int dimensions, string folder)
    {
        await context.Output.WriteLineAsync(
            $"G-PPCA of {stimuli} stimuli, {grid.Countries.Count} countries x {grid.Concepts.Count} concepts: {preserved} of {dimensions} dimensions preserved.").ConfigureAwait(false);
        await context.Output.WriteLineAsync($"Results in {folder}").ConfigureAwait(false);
    }
}
