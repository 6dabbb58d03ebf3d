using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster bench ppca</c>: times the analysis engine on generated data of paper size and
/// compares the fast leave-one-out with the naive refit side by side.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Builds the <c>bench</c> command group.</summary>
    public static Command Create(CliContext context) =>
        new("bench", "Benchmarks on generated data.") { CreatePpca(context), BenchClusterCommand.Create(context), BenchSilosCommand.Create(context), BenchAggregateCommand.Create(context), BenchGenerateCommand.Create(context), BenchDetectCommand.Create(context), BenchCropCommand.Create(context), LandmarksCommand.CreateBench(context), BenchReportCommand.Create(context), BenchMorphCommand.Create(context), LearningCommands.CreateBench(context) };

    private static Command CreatePpca(CliContext context)
    {
        var n = new Option<int>("--n") { Description = "Stimuli.", DefaultValueFactory = _ => 4659 };
        var p = new Option<int>("--p") { Description = "Attributes (a multiple of 6 is laid out as 6 countries).", DefaultValueFactory = _ => 288 };
        var naiveFolds = new Option<int>("--naive-folds") { Description = "Folds timed with the naive refit; its total is projected to all n folds.", DefaultValueFactory = _ => 24, HelpName = "N" };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Dimension-bootstrap resamples B (also the inner bootstrap of the replicate).", DefaultValueFactory = _ => new PpcaOptions().Bootstrap, HelpName = "B" };
        var threads = new Option<int>("--threads") { Description = "Worker threads for leave-one-out and bootstrap (0: all cores).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the generated data and random streams.", DefaultValueFactory = _ => 1UL };
        var command = new Command("ppca", "Fast vs naive leave-one-out, dimension bootstrap, and one loading replicate on generated data.")
        {
            n, p, naiveFolds, bootstrap, threads, seed,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetValue(n),
            parseResult.GetValue(p),
            parseResult.GetValue(naiveFolds),
            parseResult.GetValue(bootstrap),
            parseResult.GetValue(threads),
            parseResult.GetValue(seed),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        CliContext context, int n, int p, int naiveFolds, int bootstrap, int threads, ulong seed, CancellationToken cancellationToken)
    {
        if (n < 10 || p < 2 || naiveFolds < 1 || naiveFolds > n || bootstrap < 2 || threads < 0)
        {
            throw new InvalidInputException($"need --n >= 10, --p >= 2, 1 <= --naive-folds <= n, --bootstrap >= 2, --threads >= 0 (got {n}, {p}, {naiveFolds}, {bootstrap}, {threads})");
        }

        var workers = threads > 0 ? threads : Environment.ProcessorCount;
        var k = Math.Min(48, p);
        var layout = p % 6 == 0
            ? new PlantedPpcaOptions { Stimuli = n, Concepts = p / 6, Dimensions = Math.Min(28, p), Seed = seed }
            : new PlantedPpcaOptions { Stimuli = n, Countries = ["XX"], Concepts = p, Dimensions = Math.Min(28, p), Seed = seed };
        var data = PlantedPpcaData.Generate(layout);
        var output = context.Output;
        await output.WriteLineAsync(Invariant($"bench ppca: n = {n}, p = {p}, k = {k}, {workers} thread(s), {Environment.ProcessorCount} core(s), {data.Loadings.Columns} planted dimensions")).ConfigureAwait(false);

        var result = await Task.Run(
            () =>
            {
                var lines = new List<string>();
                var watch = Stopwatch.StartNew();
                var fit = PpcaFit.Fit(data.X, data.Y);
                lines.Add(Invariant($"all-rows fit                     {watch.Elapsed.TotalSeconds,8:F3} s"));

                // Warm the code paths once so that timings measure steady state, not JIT compilation.
                var warmTo = new HeldOutScores(new RowMajorMatrix(n, k), new RowMajorMatrix(n, k));
                LeaveOneOut.ComputeRange(data.X, data.Y, null, fit, k, LeaveOneOutMethod.Fast, 0, Math.Min(n, 64), warmTo, workers, null, cancellationToken);

                watch.Restart();
                var fast = LeaveOneOut.Compute(data.X, data.Y, null, fit, k, LeaveOneOutMethod.Fast, workers, null, cancellationToken);
                var fastSeconds = watch.Elapsed.TotalSeconds;
                lines.Add(Invariant($"leave-one-out, fast (all {n} folds) {fastSeconds,8:F3} s   {fastSeconds / n * 1e3,8:F4} ms/fold   target <= 1 s   refitted folds {fast.RefittedFolds}"));

                var naive = new HeldOutScores(new RowMajorMatrix(n, k), new RowMajorMatrix(n, k));
                watch.Restart();
                LeaveOneOut.ComputeRange(data.X, data.Y, null, fit, k, LeaveOneOutMethod.Naive, 0, naiveFolds, naive, workers, null, cancellationToken);
                var perFold = watch.Elapsed.TotalSeconds / naiveFolds;
                var projected = perFold * n;
                lines.Add(Invariant($"leave-one-out, naive ({naiveFolds} folds)   {watch.Elapsed.TotalSeconds,8:F3} s   {perFold * 1e3,8:F4} ms/fold   projected to {n} folds: {projected:F1} s"));
                lines.Add(Invariant($"fast vs naive: {projected / fastSeconds:F0}x faster (target >= 100x); largest difference on the timed folds {MaxRelativeDifference(fast, naive, naiveFolds):E1} relative (spec: 1e-8)"));

                watch.Restart();
                var boot = DimensionBootstrap.Run(fast.X, fast.Y, default, bootstrap, seed, RandomPurpose.DimensionBootstrap, 0, workers, null);
                lines.Add(Invariant($"dimension bootstrap (B = {bootstrap}, {n} x {k}) {watch.Elapsed.TotalSeconds,8:F3} s   target <= 2 s"));

                var options = new PpcaOptions { Bootstrap = bootstrap, Replicates = 0, Seed = seed, Threads = workers };
                watch.Restart();
                var analysis = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, options, null, cancellationToken);
                var analysisSeconds = watch.Elapsed.TotalSeconds;
                lines.Add(Invariant($"significant dimensions: {analysis.SignificantCount} (planted {data.Loadings.Columns}); bootstrap p of dimension 1: {boot.P[0]}"));

                // Side by side: the input checks every reader applies (finite cells, centred sums of squares), on X and Y.
                watch.Restart();
                ValueChecks.CheckInput("x", data.Attributes, data.X.Values);
                ValueChecks.CheckInput("y", data.Attributes, data.Y.Values);
                var checkSeconds = watch.Elapsed.TotalSeconds;
                lines.Add(Invariant($"input checks of X and Y {checkSeconds * 1e3,8:F1} ms   analysis without replicates {analysisSeconds,8:F3} s   checks / analysis {checkSeconds / analysisSeconds:P3} (target < 1%)"));
                if (analysis.SignificantCount > 0)
                {
                    watch.Restart();
                    LoadingSignificance.RunReplicate(data.X, data.Y, analysis.Loadings, options with { Replicates = 1 }, 0, cancellationToken);
                    var replicateSeconds = watch.Elapsed.TotalSeconds;
                    lines.Add(Invariant($"one loading replicate (1 thread, B_inner = {bootstrap}) {replicateSeconds,8:F3} s   target <= 3 s; 1000 replicates ~ {replicateSeconds * 1000 / 3600:F2} core-hours"));
                }

                return lines;
            },
            cancellationToken).ConfigureAwait(false);
        foreach (var line in result)
        {
            await output.WriteLineAsync(line).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static double MaxRelativeDifference(HeldOutScores fast, HeldOutScores naive, int rows)
    {
        double scale = 0, difference = 0;
        var length = rows * fast.X.Columns;
        for (var t = 0; t < length; t++)
        {
            scale = Math.Max(scale, Math.Max(Math.Abs(naive.X.Values[t]), Math.Abs(naive.Y.Values[t])));
            difference = Math.Max(difference, Math.Max(Math.Abs(naive.X.Values[t] - fast.X.Values[t]), Math.Abs(naive.Y.Values[t] - fast.Y.Values[t])));
        }

        return difference / scale;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
