using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceCluster.Analysis;
using FaceCluster.Reports;
using FaceCluster.Synthetic;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster bench report</c>: the report of a paper-size run, timed. A run folder is generated first (untimed):
/// planted DNN-side and judgment-side tables of <c>--seeds</c> seeds x 6 countries x 48 concepts with
/// <c>--dimensions</c> planted dimensions, analysed by the real PPCA (no loading-significance replicates unless asked) and
/// G-PPCA; 160 x 160 crops of every seed and <c>--mimics-per-seed</c> mimics with photograph-like noise; a loss table of
/// <c>--epochs</c> x <c>--steps-per-epoch</c> steps. Then the report is built and each of its steps timed, against the
/// targets of at most 60 s and a report.html under 10 MB.
/// </summary>
internal static class BenchReportCommand
{
    private static readonly string[] Countries = ["CN", "ET", "IN", "ZA", "US", "VE"];

    /// <summary>Builds the <c>bench report</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var seeds = new Option<int>("--seeds") { Description = "Seeds.", DefaultValueFactory = _ => 4659, HelpName = "N" };
        var dimensions = new Option<int>("--dimensions") { Description = "Planted dimensions.", DefaultValueFactory = _ => 28, HelpName = "N" };
        var mimics = new Option<int>("--mimics-per-seed") { Description = "Mimic crops per seed in the crop set.", DefaultValueFactory = _ => 4, HelpName = "N" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs of the loss table.", DefaultValueFactory = _ => 10, HelpName = "N" };
        var steps = new Option<int>("--steps-per-epoch") { Description = "Steps per epoch of the loss table (450,000 mimics in batches of 32: about 12,000).", DefaultValueFactory = _ => 12_000, HelpName = "N" };
        var replicates = new Option<int>("--replicates") { Description = "Loading-significance replicates of the generated PPCA.", DefaultValueFactory = _ => 0, HelpName = "R" };
        var folder = new Option<string?>("--folder") { Description = "Generate the run here and keep it [default: a temporary folder, deleted at the end].", HelpName = "DIR" };
        var command = new Command("report", "Time the report of a generated paper-size run (t-SNE, figures, faces, HTML).")
        {
            seeds, dimensions, mimics, epochs, steps, replicates, folder,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            context,
            parse.GetValue(seeds),
            parse.GetValue(dimensions),
            new SyntheticRunOptions
            {
                Ppca = new PpcaOptions { Bootstrap = 100, Replicates = parse.GetValue(replicates), Threads = 0 },
                MimicsPerSeed = parse.GetValue(mimics),
                Epochs = parse.GetValue(epochs),
                StepsPerEpoch = parse.GetValue(steps),
                NoisyCrops = true,
            },
            parse.GetValue(folder),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        CliContext context, int seeds, int dimensions, SyntheticRunOptions options, string? folder, CancellationToken cancellationToken)
    {
        if (seeds < 100 || dimensions < 1 || dimensions > 48 || options.MimicsPerSeed < 0 || options.Epochs < 1 || options.StepsPerEpoch < 1 || options.Ppca.Replicates < 0)
        {
            throw new Tables.InvalidInputException("bench report: --seeds must be at least 100, --dimensions 1 to 48, and the other counts positive");
        }

        var root = folder is null ? Directory.CreateTempSubdirectory("facecluster-bench-report-").FullName : Directory.CreateDirectory(folder).FullName;
        try
        {
            var watch = Stopwatch.StartNew();
            var data = PlantedPpcaData.Generate(new PlantedPpcaOptions { Stimuli = seeds, Countries = Countries, Concepts = 48, Dimensions = dimensions, Seed = 1 });
            var run = await SyntheticRunFolder.WriteAsync(root, data.SeedIds, data.X, data.Y, data.Attributes, null, options, cancellationToken).ConfigureAwait(false);
            await Line(context, $"Generated a run of {seeds} seeds x {data.Attributes.Length} attributes, {dimensions} planted dimensions, {seeds * (1 + options.MimicsPerSeed)} crops, {options.Epochs * options.StepsPerEpoch} loss rows in {watch.Elapsed.TotalSeconds:0.0} s ({run}).").ConfigureAwait(false);

            watch.Restart();
            var summary = await ReportBuilder.BuildAsync(ReportInputs.Locate(run), new ReportOptions(), cancellationToken).ConfigureAwait(false);
            var seconds = watch.Elapsed.TotalSeconds;
            using var process = Process.GetCurrentProcess();
            await Line(context, $"Report of {summary.Figures.Count} figures in {seconds:0.0} s (target at most 60 s: {seconds / 60 * 100:0}% of it); steps: {string.Join(", ", summary.TimingsSeconds.Select(t => $"{t.Key} {t.Value:0.0} s"))}.").ConfigureAwait(false);
            await Line(context, $"report.html: {summary.HtmlBytes / 1e6:0.00} MB (target under 10 MB: {summary.HtmlBytes / 1e7 * 100:0}% of it); peak working set {process.PeakWorkingSet64 / 1e6:0} MB; {Environment.ProcessorCount} cores.").ConfigureAwait(false);
            return ExitCodes.Success;
        }
        finally
        {
            if (folder is null)
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static Task Line(CliContext context, FormattableString text) => context.Output.WriteLineAsync(text.ToString(CultureInfo.InvariantCulture));
}
