using System.CommandLine;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Cli.Cluster;
using FaceCluster.Cli.Progress;
using FaceCluster.Grains;
using FaceCluster.Outputs;
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
        var execution = new ExecutionOptions();
        var command = new Command(
            "ppca",
            "Principal preserved components of X against Y: leave-one-out held-out scores, bootstrap significance, varimax loadings and their significance.")
        {
            x, y, output, overwrite,
        };
        settings.AddTo(command);
        execution.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => RunPpcaAsync(
            context,
            parseResult.GetRequiredValue(x),
            parseResult.GetRequiredValue(y),
            parseResult.GetRequiredValue(output),
            parseResult.GetValue(overwrite),
            settings.Read(parseResult),
            execution.Read(parseResult),
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
        CliContext context, string xPath, string yPath, string outputPath, bool overwrite, PpcaOptions options, Execution execution, CancellationToken cancellationToken)
    {
        PpcaSettingsOptions.Validate(options);
        var xTable = await WideTableReader.ReadAsync(xPath, cancellationToken).ConfigureAwait(false);
        var yTable = (await WideTableReader.ReadAsync(yPath, cancellationToken).ConfigureAwait(false)).AlignTo(xTable);
        using var output = StagedOutputDirectory.Create(outputPath, overwrite);
        if (execution.InProcess)
        {
            var result = await RunPpcaAsync(context, xTable, yTable, options, cancellationToken).ConfigureAwait(false);
            var inputs = new JsonObject { ["x"] = Path.GetFullPath(xPath), ["y"] = Path.GetFullPath(yPath) };
            await PpcaOutputs.WriteAsync(output.StagingPath, result, xTable.SeedIds, options, inputs, cancellationToken).ConfigureAwait(false);
            await output.CommitAsync(cancellationToken).ConfigureAwait(false);
            await WritePpcaReportAsync(context.Output, result, xTable.RowCount, output.TargetPath).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        await EmbeddedRun.RunAsync(
            context,
            execution,
            options.Threads,
            PpcaRunKind.KindName,
            async (root, runId, ct) =>
            {
                // The checked, aligned tables go to the run's folder: workers read them from there.
                var inputs = RunPaths.Inputs(runId);
                Directory.CreateDirectory(DataRootPaths.Resolve(root, inputs));
                await WideTableWriter.WriteParquetAsync(xTable, DataRootPaths.Resolve(root, $"{inputs}/x.parquet"), ct).ConfigureAwait(false);
                await WideTableWriter.WriteParquetAsync(yTable, DataRootPaths.Resolve(root, $"{inputs}/y.parquet"), ct).ConfigureAwait(false);
                return RunParameters.Request(PpcaRunKind.KindName, RunPaths.Output(runId), new PpcaParameters
                {
                    X = $"{inputs}/x.parquet",
                    Y = $"{inputs}/y.parquet",
                    Bootstrap = options.Bootstrap,
                    Replicates = options.Replicates,
                    InnerBootstrap = options.InnerBootstrap,
                    Seed = options.Seed,
                    Loo = options.LeaveOneOut == LeaveOneOutMethod.Naive ? "naive" : "fast",
                    Threads = options.Threads,
                    XName = Path.GetFullPath(xPath),
                    YName = Path.GetFullPath(yPath),
                });
            },
            output.StagingPath,
            cancellationToken,
            // With a data root of the user's, an analysis whose client was killed or stopped is taken up, not redone.
            resume: execution.DataRoot is not null && execution.Cluster is null ? root => EmbeddedRun.LatestUnfinishedRun(root, PpcaRunKind.KindName) : null).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        await WritePpcaReportAsync(context.Output, output.TargetPath, cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>The report of <see cref="WritePpcaReportAsync(TextWriter, PpcaResult, int, string)"/>, from a written output folder.</summary>
    internal static async Task WritePpcaReportAsync(TextWriter output, string folder, CancellationToken cancellationToken)
    {
        using var summary = await EmbeddedRun.ReadSummaryAsync(folder, cancellationToken).ConfigureAwait(false);
        var root = summary.RootElement;
        var labels = root.GetProperty("dimensions").EnumerateArray().Select(l => l.GetString()!).ToArray();
        await output.WriteLineAsync(
            $"PPCA of {root.GetProperty("n_stimuli").GetInt32()} stimuli x {root.GetProperty("n_attributes").GetInt32()} attributes: {labels.Length} of {root.GetProperty("k").GetInt32()} tested dimensions significant"
            + (labels.Length > 0 ? $" ({string.Join(", ", labels)})." : ".")).ConfigureAwait(false);
        if (root.GetProperty("preservation") is { ValueKind: System.Text.Json.JsonValueKind.Object } preservation)
        {
            await output.WriteLineAsync(
                FormattableString.Invariant($"Preservation of loadings across countries: r = {preservation.GetProperty("r").GetDouble():F2}, r^2 = {preservation.GetProperty("r2").GetDouble():F2}.")).ConfigureAwait(false);
        }

        var significance = await ParquetTableReader.ReadAllAsync(Path.Combine(folder, "loading_significance.parquet"), cancellationToken).ConfigureAwait(false);
        if (significance.RowCount > 0)
        {
            var dimensions = (string?[])significance.FindColumn("dimension")!.Values;
            var counts = (int[])significance.FindColumn("n_significant")!.Values;
            var perDimension = dimensions.Select((d, i) => (d, i)).GroupBy(t => t.d).Select(g => $"{g.Key} {counts[g.First().i]}");
            await output.WriteLineAsync($"Significant loadings per dimension: {string.Join(", ", perDimension)}.").ConfigureAwait(false);
        }

        await output.WriteLineAsync($"Results in {folder}").ConfigureAwait(false);
    }

    /// <summary>Runs the PPCA analysis on aligned tables with progress on standard error.</summary>
    internal static Task<PpcaResult> RunPpcaAsync(CliContext context, WideTable x, WideTable y, PpcaOptions options, CancellationToken cancellationToken) =>
        context.Progress.RunAsync(reporter =>
        {
            using var progress = new StageProgressAdapter(reporter);
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

/// <summary>How an analysis is executed: through the embedded cluster (the default) or in this process.</summary>
/// <param name="InProcess">Run in this process without the cluster.</param>
/// <param name="DataRoot">The embedded cluster's data root, or null for a temporary one.</param>
/// <param name="Cluster">A running cluster to submit to (<c>redis://HOST:PORT/CLUSTER_ID</c>), or null.</param>
internal sealed record Execution(bool InProcess, string? DataRoot, string? Cluster = null);

/// <summary>The <c>--in-process</c> and <c>--data-root</c> options of <c>analyze ppca|gppca</c>.</summary>
internal sealed class ExecutionOptions
{
    private readonly Option<bool> _inProcess = new("--in-process")
    {
        Description = "Compute in this process, without the embedded cluster (same results).",
    };

    private readonly Option<string?> _dataRoot = new("--data-root")
    {
        Description = $"Data root of the embedded cluster (run folders, shards, grain state), kept after the run [default: ${EmbeddedRun.DataRootVariable}, else a temporary folder removed at the end].",
        HelpName = "DIR",
    };

    private readonly Option<string?> _cluster = new("--cluster")
    {
        Description = $"Submit to a running cluster instead of an embedded one: redis://HOST:PORT/CLUSTER_ID [default: ${EmbeddedRun.ClusterVariable}]; --data-root is then the data root its silos share.",
        HelpName = "ADDRESS",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_inProcess);
        command.Options.Add(_dataRoot);
        command.Options.Add(_cluster);
    }

    public Execution Read(ParseResult parseResult) =>
        new(parseResult.GetValue(_inProcess), parseResult.GetValue(_dataRoot), parseResult.GetValue(_cluster));
}

/// <summary>The options of a PPCA run shared by <c>analyze ppca</c>, <c>demo</c> and <c>bench</c>.</summary>
internal sealed class PpcaSettingsOptions
{
    /// <summary>The analysis' own defaults: the only place they are written (the paper's).</summary>
    private static readonly PpcaOptions Defaults = new();

    private readonly Option<int> _bootstrap = new("--bootstrap") { Description = "Dimension-bootstrap resamples B.", DefaultValueFactory = _ => Defaults.Bootstrap, HelpName = "B" };
    private readonly Option<int> _replicates = new("--replicates") { Description = "Replicates of the whole analysis for loading significance (0 skips them).", DefaultValueFactory = _ => Defaults.Replicates, HelpName = "R" };
    private readonly Option<int?> _innerBootstrap = new("--inner-bootstrap") { Description = "Bootstrap resamples inside each replicate [default: --bootstrap].", HelpName = "N" };
    private readonly Option<ulong> _seed = new("--seed") { Description = "Seed of every random stream.", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<string> _leaveOneOut = new("--loo") { Description = "Leave-one-out method: fast (exact rank-2 update) or naive (refit per fold).", DefaultValueFactory = _ => "fast" };
    private readonly Option<int> _threads = new("--threads") { Description = "Worker threads (0: all cores); results do not depend on it.", DefaultValueFactory = _ => Defaults.Threads, HelpName = "N" };

    /// <summary>The options; <paramref name="defaultReplicates"/> replaces the analysis' default replicates (a demo's fewer).</summary>
    public PpcaSettingsOptions(int? defaultReplicates = null)
    {
        var replicates = defaultReplicates ?? Defaults.Replicates;
        _leaveOneOut.AcceptOnlyFromAmong("fast", "naive");
        _replicates.DefaultValueFactory = _ => replicates;
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
