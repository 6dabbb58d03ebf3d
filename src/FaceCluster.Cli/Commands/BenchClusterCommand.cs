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
        var bootstrap = new Option<int>("--bootstrap") { Description = "Dimension-bootstrap resamples B (also the inner bootstrap of each replicate).", DefaultValueFactory = _ => new PpcaOptions().Bootstrap, HelpName = "B" };
        var threads = new Option<int>("--threads") { Description = "Cores for both (worker slots of the silo; 0: all cores).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the generated data and random streams.", DefaultValueFactory = _ => 1UL };
        var repeat = new Option<int>("--repeat") { Description = "Rounds of both measurements (alternately); the best is reported.", DefaultValueFactory = _ => 3, HelpName = "N" };
        var command = new Command("cluster", "Replicates through the embedded cluster vs PpcaAnalysis.RunReplicates on the same input: times, replicates/s, scheduling overhead.")
        {
            n, p, replicates, rangeSize, bootstrap, threads, seed, repeat,
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
            parseResult.GetValue(repeat),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        CliContext context, int n, int p, int replicates, int rangeSize, int bootstrap, int threads, ulong seed, int repeat, CancellationToken cancellationToken)
    {
        if (n < 10 || p < 2 || replicates < 1 || rangeSize < 0 || bootstrap < 2 || threads < 0 || repeat < 1)
        {
            throw new InvalidInputException(
                $"need --n >= 10, --p >= 2, --replicates >= 1, --range-size >= 0, --bootstrap >= 2, --threads >= 0, --repeat >= 1 (got {n}, {p}, {replicates}, {rangeSize}, {bootstrap}, {threads}, {repeat})");
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

        // The same replicates directly and through one warm embedded silo, alternately, best of --repeat: the machine may be
        // shared, so the best wall time and the process's own CPU time are the fair comparison.
        LoadingSignificance.RunReplicate(data.X, data.Y, main.Loadings, options, replicates, cancellationToken);
        var expected = (IReadOnlyList<LoadingSignificanceRow>)[];
        var direct = new List<(double Wall, double Cpu)>();
        var clustered = new List<(double Wall, double Cpu, string Ranges)>();
        var identical = true;
        var root = Directory.CreateTempSubdirectory("facecluster-bench-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "inputs"));
            await WideTableWriter.WriteParquetAsync(new WideTable(data.SeedIds, data.Attributes, data.X.Values, "x"), Path.Combine(root, "inputs", "x.parquet"), cancellationToken).ConfigureAwait(false);
            await WideTableWriter.WriteParquetAsync(new WideTable(data.SeedIds, data.Attributes, data.Y.Values, "y"), Path.Combine(root, "inputs", "y.parquet"), cancellationToken).ConfigureAwait(false);
            var startWatch = Stopwatch.StartNew();
            var cluster = await EmbeddedCluster.StartAsync(root, o => o.WorkerSlots = workers, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (cluster.ConfigureAwait(false))
            {
                await output.WriteLineAsync(Invariant($"embedded silo start                      {startWatch.Elapsed.TotalSeconds,8:F3} s")).ConfigureAwait(false);
                for (var round = 0; round < repeat; round++)
                {
                    var (directRun, directReplicates) = await Task.Run(
                        () =>
                        {
                            var cpu = ProcessorSeconds();
                            var watch = Stopwatch.StartNew();
                            var result = PpcaAnalysis.RunReplicates(data.X, data.Y, main.Loadings, options, 0, replicates, workers, null, cancellationToken);
                            return ((watch.Elapsed.TotalSeconds, ProcessorSeconds() - cpu), result);
                        },
                        cancellationToken).ConfigureAwait(false);
                    direct.Add(directRun);
                    expected = PpcaAnalysis.WithLoadingSignificance(main, directReplicates, options).LoadingSignificance;

                    var runId = Invariant($"bench-{round}");
                    var coordinator = cluster.Client.GetGrain<IRunCoordinatorGrain>(runId);
                    await coordinator.Start(RunParameters.Request(PpcaRunKind.KindName, runId, new PpcaParameters
                    {
                        X = "inputs/x.parquet", Y = "inputs/y.parquet", Bootstrap = bootstrap, Replicates = replicates, Seed = seed, RangeSize = rangeSize, Threads = workers,
                    })).ConfigureAwait(false);
                    var cpuAtStage = new StageCpu(PpcaStages.Replicates);
                    var status = await cluster.Client.WaitForRunAsync(runId, cpuAtStage, TimeSpan.FromMilliseconds(100), cancellationToken: cancellationToken).ConfigureAwait(false);
                    if (status.State != RunState.Completed)
                    {
                        throw new InvalidOperationException($"the cluster run {status.State.ToString().ToLowerInvariant()}: {status.Error}");
                    }

                    var stage = (await coordinator.GetReport().ConfigureAwait(false)).Stages.Single(s => s.Name == PpcaStages.Replicates);
                    clustered.Add(((stage.FinishedAt!.Value - stage.StartedAt!.Value).TotalSeconds, cpuAtStage.Seconds, DescribeRanges(stage)));
                    var table = await ParquetTableReader.ReadAllAsync(Path.Combine(root, runId, "loading_significance.parquet"), cancellationToken).ConfigureAwait(false);
                    identical &= ((double[])table.FindColumn("p")!.Values).SequenceEqual(expected.Select(r => r.P));
                }
            }
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

        var bestDirect = direct.Min(d => d.Wall);
        var bestCluster = clustered.Min(c => c.Wall);
        var directCpu = direct.Min(d => d.Cpu);
        var clusterCpu = clustered.Min(c => c.Cpu);
        string All(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)));
        await output.WriteLineAsync(Invariant($"replicates, PpcaAnalysis.RunReplicates   {bestDirect,8:F3} s   {replicates / bestDirect,8:F2} replicates/s   {directCpu,8:F2} CPU s   (walls: {All(direct.Select(d => d.Wall))})")).ConfigureAwait(false);
        await output.WriteLineAsync(Invariant($"replicates, embedded cluster             {bestCluster,8:F3} s   {replicates / bestCluster,8:F2} replicates/s   {clusterCpu,8:F2} CPU s   (walls: {All(clustered.Select(c => c.Wall))}; {clustered[0].Ranges})")).ConfigureAwait(false);
        await output.WriteLineAsync(Invariant(
            $"scheduling overhead: {100 * (bestCluster - bestDirect) / bestDirect:F1}% wall, {100 * (clusterCpu - directCpu) / directCpu:F1}% CPU (target <= 5%); loading p-values identical to the direct run: {(identical ? "yes" : "NO")}")).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>"50 ranges of 4", or for guided ranges "16 ranges of 50 down to 1".</summary>
    internal static string DescribeRanges(StageReport stage)
    {
        // Fixed ranges differ at most in the last one.
        var largest = stage.Ranges.Max(r => r.Count);
        return stage.Ranges.SkipLast(1).All(r => r.Count == largest)
            ? Invariant($"{stage.Ranges.Count} ranges of {largest}")
            : Invariant($"{stage.Ranges.Count} ranges of {largest} down to {stage.Ranges.Min(r => r.Count)}");
    }

    /// <summary>This process's CPU seconds while the run was in one stage (seen by polling).</summary>
    private sealed class StageCpu(string stage) : IProgress<RunStatus>
    {
        private double? _start;

        public double Seconds { get; private set; }

        public void Report(RunStatus value)
        {
            if (value.Stage == stage && _start is null)
            {
                _start = ProcessorSeconds();
            }
            else if (value.Stage != stage && _start is not null && Seconds == 0)
            {
                Seconds = ProcessorSeconds() - _start.Value;
            }
        }
    }

    private static double ProcessorSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
