using System.CommandLine;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Outputs;
using FaceCluster.Cli.Progress;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster analyze ppca|gppca</c>: the statistics of analysis.md on tables given by the user.
/// </summary>
internal static class AnalyzeCommand
{
    /// <summary>Builds the <c>analyze</c> command group.</summary>
    public static Command Create(CliContext context) =>
        new("analyze", "Run an analysis of Brooks et al. 2024 on wide tables (seed_id, then one column per attribute).")
        {
            CreatePpca(context),
            GppcaCommand.Create(context),
        };

    private static Command CreatePpca(CliContext context)
    {
        var x = new Option<string>("--x") { Description = "DNN outputs per seed: a wide .parquet or .csv table.", Required = true, HelpName = "FILE" };
        var y = new Option<string>("--y") { Description = "Human judgments of the same seeds and attributes: a wide .parquet or .csv table.", Required = true, HelpName = "FILE" };
        var output = OutputOption();
        var overwrite = OverwriteOption();
        var settings = new PpcaSettingsOptions();
        var command = new Command(
            "ppca",
            "Principal preserved components of X against Y: leave-one-out held-out scores, bootstrap significance, varimax loadings and their significance.")
        {
            x, y, output, overwrite,
        };
        settings.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => RunPpcaAsync(
            context,
            parseResult.GetRequiredValue(x),
            parseResult.GetRequiredValue(y),
            parseResult.GetRequiredValue(output),
            parseResult.GetValue(overwrite),
            settings.Read(parseResult),
            cancellationToken));
        return command;
    }

    /// <summary>The <c>--out DIR</c> option of commands that write an output folder.</summary>
    internal static Option<string> OutputOption() =>
        new("--out", "-o") { Description = "Output folder (written whole at the end; must not exist unless --overwrite).", Required = true, HelpName = "DIR" };

    /// <summary>The <c>--overwrite</c> flag.</summary>
    internal static Option<bool> OverwriteOption() =>
        new("--overwrite") { Description = "Replace the output folder if it exists." };

    private static async Task<int> RunPpcaAsync(
        CliContext context, string xPath, string yPath, string outputPath, bool overwrite, PpcaOptions options, CancellationToken cancellationToken)
    {
        PpcaSettingsOptions.Validate(options);
        var xTable = await WideTableReader.ReadAsync(xPath, cancellationToken).ConfigureAwait(false);
        var yTable = (await WideTableReader.ReadAsync(yPath, cancellationToken).ConfigureAwait(false)).AlignTo(xTable);
        using var output = StagedOutputDirectory.Create(outputPath, overwrite);
        var result = await RunPpcaAsync(context, xTable, yTable, options, cancellationToken).ConfigureAwait(false);
        var inputs = new JsonObject { ["x"] = Path.GetFullPath(xPath), ["y"] = Path.GetFullPath(yPath) };
        await PpcaOutputs.WriteAsync(output.StagingPath, result, xTable.SeedIds, options, inputs, cancellationToken).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        await WritePpcaReportAsync(context.Output, result, xTable.RowCount, output.TargetPath).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>Runs the PPCA analysis on aligned tables with progress on standard error.</summary>
    internal static Task<PpcaResult> RunPpcaAsync(CliContext context, WideTable x, WideTable y, PpcaOptions options, CancellationToken cancellationToken) =>
        context.Progress.RunAsync(reporter =>
        {
            using var progress = new AnalysisProgressAdapter(reporter);
            return Task.Run(
                () => PpcaAnalysis.Run(
                    new RowMajorMatrix(x.RowCount, x.ColumnCount, x.Values),
                    new RowMajorMatrix(y.RowCount, y.ColumnCount, y.Values),
                    x.Attributes,
                    options,
                    progress,
                    cancellationToken),
                cancellationToken);
        });

    /// <summary>A few lines for the researcher: what was found and where it was written.</summary>
    internal static async Task WritePpcaReportAsync(TextWriter output, PpcaResult result, int stimuli, string folder)
    {
        await output.WriteLineAsync(
            $"PPCA of {stimuli} stimuli x {result.Attributes.Count} attributes: {result.SignificantCount} of {result.Dimensions.Count} tested dimensions significant"
            + (result.SignificantCount > 0 ? $" ({string.Join(", ", result.Labels)})." : ".")).ConfigureAwait(false);
        if (result.Preservation is { } preservation)
        {
            await output.WriteLineAsync(
                FormattableString.Invariant($"Preservation of loadings across countries: r = {preservation.R:F2}, r^2 = {preservation.R2:F2}.")).ConfigureAwait(false);
        }

        if (result.LoadingSignificance.Count > 0)
        {
            var counts = result.LoadingSignificance.GroupBy(r => r.Dimension).Select(g => $"{g.Key} {g.First().SignificantCount}");
            await output.WriteLineAsync($"Significant loadings per dimension: {string.Join(", ", counts)}.").ConfigureAwait(false);
        }

        await output.WriteLineAsync($"Results in {folder}").ConfigureAwait(false);
    }
}

/// <summary>The options of a PPCA run shared by <c>analyze ppca</c>, <c>demo</c> and <c>bench</c>.</summary>
internal sealed class PpcaSettingsOptions
{
    private readonly Option<int> _bootstrap = new("--bootstrap") { Description = "Dimension-bootstrap resamples B.", DefaultValueFactory = _ => 1000, HelpName = "B" };
    private readonly Option<int> _replicates = new("--replicates") { Description = "Replicates of the whole analysis for loading significance (0 skips them).", DefaultValueFactory = _ => 1000, HelpName = "R" };
    private readonly Option<int?> _innerBootstrap = new("--inner-bootstrap") { Description = "Bootstrap resamples inside each replicate [default: --bootstrap].", HelpName = "N" };
    private readonly Option<ulong> _seed = new("--seed") { Description = "Seed of every random stream.", DefaultValueFactory = _ => 1UL };
    private readonly Option<string> _leaveOneOut = new("--loo") { Description = "Leave-one-out method: fast (exact rank-2 update) or naive (refit per fold).", DefaultValueFactory = _ => "fast" };
    private readonly Option<int> _threads = new("--threads") { Description = "Worker threads (0: all cores); results do not depend on it.", DefaultValueFactory = _ => 0, HelpName = "N" };

    public PpcaSettingsOptions(int defaultReplicates = 1000)
    {
        _leaveOneOut.AcceptOnlyFromAmong("fast", "naive");
        _replicates.DefaultValueFactory = _ => defaultReplicates;
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_bootstrap);
        command.Options.Add(_replicates);
        command.Options.Add(_innerBootstrap);
        command.Options.Add(_seed);
        command.Options.Add(_leaveOneOut);
        command.Options.Add(_threads);
    }

    public PpcaOptions Read(ParseResult parseResult) => new()
    {
        Bootstrap = parseResult.GetValue(_bootstrap),
        Replicates = parseResult.GetValue(_replicates),
        InnerBootstrap = parseResult.GetValue(_innerBootstrap),
        Seed = parseResult.GetValue(_seed),
        LeaveOneOut = parseResult.GetValue(_leaveOneOut) == "naive" ? LeaveOneOutMethod.Naive : LeaveOneOutMethod.Fast,
        Threads = parseResult.GetValue(_threads),
    };

    /// <summary>Refuses unusable settings as bad input, naming every problem.</summary>
    public static void Validate(PpcaOptions options)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new InvalidInputException(string.Join("; ", errors));
        }
    }
}
