using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceCluster.Analysis;
using FaceCluster.Grains;
using FaceCluster.Hosting;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster bench cluster</c>: the loading-significance replicates of one generated input, computed through the
/// embedded cluster and directly with <see cref="PpcaAnalysis.RunReplicates"/> on the same cores, and the cluster's
/// scheduling overhead.
/// </summary>
internal static class BenchClusterCommand
{
    /// <summary>Builds the <c>bench cluster</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var n = new Option<int>("--n") { Description = "Stimuli.", DefaultValueFactory = _ => 600 };
        var p = new Option<int>("--p") { Description = "Attributes (a multiple of 6 is laid out as 6 countries).", DefaultValueFactory = _ => 48 };
        var replicates = new Option<int>("--replicates") { Description = "Loading-significance replicates R.", DefaultValueFactory = _ => 200, HelpName = "R" };
        var rangeSize = new Option<int>("--range-size") { Description = "Replicates per work range (0: the coordinator chooses).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Dimension-bootstrap resamples B (also the inner bootstrap of each replicate).", DefaultValueFactory = _ => 1000, HelpName = "B" };
        var threads = new Option<int>("--threads") { Description = "Cores for both (worker slots of the silo; 0: all cores).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the generated data and random streams.", DefaultValueFactory = _ => 1UL };
        var command = new Command("cluster", "Replicates through the embedded cluster vs PpcaAnalysis.RunReplicates on the same input: times, replicates/s, scheduling overhead.")
        {
            n, p, replicates, rangeSize, bootstrap, threads, seed,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetValue(n),
            parseResult.GetValue(p),
            parseResult.GetValue(replicates),
            parseResult.GetValue(rangeSize),
            parseResult.GetValue(bootstrap),
            parseResult.GetValue(threads),
            parseResult.GetValue(seed),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        CliContext context, int n, int p, int replicates, int rangeSize, int bootstrap, int threads, ulong seed, CancellationToken cancellationToken)
    {
        if (n < 10 || p < 2 || replicates < 1 || rangeSize < 0 || bootstrap < 2 || threads < 0)
        {
            throw new InvalidInputException(
                $"need --n >= 10, --p >= 2, --replicates >= 1, --range-size >= 0, --bootstrap >= 2, --threads >= 0 (got {n}, {p}, {replicates}, {rangeSize}, {bootstrap}, {threads})");
        }

        var workers = threads > 0 ? threads : Environment.ProcessorCount;
        var layout = p % 6 == 0
            ? new PlantedPpcaOptions { Stimuli = n, Concepts = p / 6, Dimensions = Math.Min(12, p), Seed = seed }
            : new PlantedPpcaOptions { Stimuli = n, Countries = ["XX"], Concepts = p, Dimensions = Math.Min(12, p), Seed = seed };
        var data = PlantedPpcaData.Generate(layout);
        var options = new PpcaOptions { Bootstrap = bootstrap, Replicates = replicates, Seed = seed, Threads = workers };
        var output = context.Output;
        await output.WriteLineAsync(Invariant($"bench cluster: n = {n}, p = {p}, R = {replicates}, B = B_inner = {bootstrap}, {workers} worker(s), {Environment.ProcessorCount} core(s)")).ConfigureAwait(false);

        // The reference loadings of the replicates: the all-rows analysis, in this process.
        var main = await Task.Run(
            () =>
            {
                var fit = PpcaAnalysis.FitAllRows(data.X, data.Y);
                var scores = LeaveOneOut.Compute(data.X, data.Y, null, fit, PpcaAnalysis.TestedDimensions(p, options), options.LeaveOneOut, workers, null, cancellationToken);
                return PpcaAnalysis.AnalyzeScores(fit, scores, data.Attributes, options, null, cancellationToken);
            },
            cancellationToken).ConfigureAwait(false);
        if (main.SignificantCount == 0)
        {
            throw new InvalidInputException("the generated input has no significant dimension, so it has no replicates to time; raise --n or --bootstrap");
        }

        // Direct: warm once, then all replicates on the same cores.
        var (direct, directReplicates) = await Task.Run(
            () =>
            {
                LoadingSignificance.RunReplicate(data.X, data.Y, main.Loadings, options, replicates, cancellationToken);
                var watch = Stopwatch.StartNew();
                var result = PpcaAnalysis.RunReplicates(data.X, data.Y, main.Loadings, options, 0, replicates, workers, null, cancellationToken);
                return (watch.Elapsed.TotalSeconds, result);
            },
            cancellationToken).ConfigureAwait(false);
        var expected = PpcaAnalysis.WithLoadingSignificance(main, directReplicates, options).LoadingSignificance;

        // Cluster: the whole run on an embedded silo; the replicate stage is timed by its coordinator.
        var root = Directory.CreateTempSubdirectory("facecluster-bench-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "inputs"));
            await WideTableWriter.WriteParquetAsync(new WideTable(data.SeedIds, data.Attributes, data.X.Values, "x"), Path.Combine(root, "inputs", "x.parquet"), cancellationToken).ConfigureAwait(false);
            await WideTableWriter.WriteParquetAsync(new WideTable(data.SeedIds, data.Attributes, data.Y.Values, "y"), Path.Combine(root, "inputs", "y.parquet"), cancellationToken).ConfigureAwait(false);
            var total = Stopwatch.StartNew();
            var cluster = await EmbeddedCluster.StartAsync(root, o => o.WorkerSlots = workers, cancellationToken: cancellationToken).ConfigureAwait(false);
            RunReport report;
            await using (cluster.ConfigureAwait(false))
            {
                var startup = total.Elapsed.TotalSeconds;
                var coordinator = cluster.Client.GetGrain<IRunCoordinatorGrain>("bench");
                await coordinator.Start(new RunRequest(
                    AnalysisKind.Ppca, "inputs/x.parquet", "inputs/y.parquet", "output", bootstrap, replicates, null, seed, "fast", rangeSize, workers)).ConfigureAwait(false);
                var status = await cluster.Client.WaitForRunAsync("bench", null, TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
                if (status.State != RunState.Completed)
                {
                    throw new InvalidOperationException($"the cluster run {status.State.ToString().ToLowerInvariant()}: {status.Error}");
                }

                report = await coordinator.GetReport().ConfigureAwait(false);
                await output.WriteLineAsync(Invariant($"embedded silo start                      {startup,8:F3} s")).ConfigureAwait(false);
            }

            var stage = report.Stages.Single(s => s.Name == RunStages.Replicates);
            var clustered = (stage.FinishedAt!.Value - stage.StartedAt!.Value).TotalSeconds;
            var table = await ParquetTableReader.ReadAllAsync(Path.Combine(root, "output", "loading_significance.parquet"), cancellationToken).ConfigureAwait(false);
            var identical = ((double[])table.FindColumn("p")!.Values).SequenceEqual(expected.Select(r => r.P));
            var overhead = 100 * (clustered - direct) / direct;
            await output.WriteLineAsync(Invariant($"replicates, PpcaAnalysis.RunReplicates   {direct,8:F3} s   {replicates / direct,8:F2} replicates/s")).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"replicates, embedded cluster             {clustered,8:F3} s   {replicates / clustered,8:F2} replicates/s   {stage.Ranges.Count} ranges of {stage.RangeSize}")).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"scheduling overhead: {overhead:F1}% (target <= 5%); whole cluster run {total.Elapsed.TotalSeconds:F3} s; loading p-values identical to the direct run: {(identical ? "yes" : "NO")}")).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is harmless.
            }
        }

        return ExitCodes.Success;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
