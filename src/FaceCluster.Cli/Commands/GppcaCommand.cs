using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
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
        var command = new Command("gppca", "Dimensions of judgments preserved across countries (generalized PPCA with leave-one-out and pairwise tests).")
        {
            judgments, output, overwrite, threads,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetRequiredValue(judgments),
            parseResult.GetRequiredValue(output),
            parseResult.GetValue(overwrite),
            parseResult.GetValue(threads),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string path, string outputPath, bool overwrite, int threads, CancellationToken cancellationToken)
    {
        if (threads < 0)
        {
            throw new InvalidInputException($"--threads must be 0 (all cores) or more, got {threads}");
        }

        var table = await WideTableReader.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        var grid = GppcaOutputs.GridOf(table);
        using var output = StagedOutputDirectory.Create(outputPath, overwrite);
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
        await context.Output.WriteLineAsync(
            $"G-PPCA of {table.RowCount} stimuli, {grid.Countries.Count} countries x {grid.Concepts.Count} concepts: {result.PreservedCount} of {result.Dimensions} dimensions preserved.").ConfigureAwait(false);
        await context.Output.WriteLineAsync($"Results in {output.TargetPath}").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
