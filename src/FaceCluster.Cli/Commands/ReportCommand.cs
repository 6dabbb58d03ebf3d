using System.CommandLine;
using System.Globalization;
using FaceCluster.Reports;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster report RUN [--out report.html]</c>: the report of a run (analysis.md section 12) from the output folder
/// of <c>facecluster run</c> (or of <c>analyze ppca</c> alone, leaving out the sections it has no input for), computed in
/// this process: it reads only files, and the pipeline's own <c>report</c> stage makes the same report on a silo.
/// </summary>
internal static class ReportCommand
{
    private static readonly string[] RecoveryHeader = ["found", "planted", "r", "meanings", "call", "truth", "agrees"];

    /// <summary>Builds the <c>report</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var run = new Argument<string>("RUN") { Description = "The output folder of `facecluster run`, or of `facecluster analyze ppca`." };
        var output = new Option<string?>("--out", "-o") { Description = "Where the HTML report goes [default: RUN/report.html]; figures/ and tsne.parquet always go into RUN.", HelpName = "FILE" };
        var truth = new Option<string?>("--truth") { Description = "A synthetic study's truth.json to compare with [default: the run's study's, when there is one].", HelpName = "FILE" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the t-SNE maps [default: the PPCA's seed].", HelpName = "S" };
        var threads = new Option<int>("--threads") { Description = "t-SNE threads (0: all cores); the maps do not depend on it.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var command = new Command("report", "Write a run's report: what each dimension means in each country, the paper's figures, faces, training and settings, in one self-contained HTML file.")
        {
            run, output, truth, seed, threads,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            context,
            parse.GetRequiredValue(run),
            new ReportOptions { HtmlPath = parse.GetValue(output), Seed = parse.GetValue(seed), Threads = parse.GetValue(threads) },
            parse.GetValue(truth),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string run, ReportOptions options, string? truth, CancellationToken cancellationToken)
    {
        if (options.Threads is < 0 or > Analysis.TsneOptions.MaxThreads)
        {
            throw new Tables.InvalidInputException($"--threads must be 0 (all cores) to {Analysis.TsneOptions.MaxThreads}, got {options.Threads}");
        }

        if (options.HtmlPath is { } html && Directory.Exists(html))
        {
            throw new Tables.InvalidInputException($"--out {html}: is a folder; name the HTML file");
        }

        var inputs = ReportInputs.Locate(run, truth);
        var summary = await context.Progress.RunAsync(async reporter =>
        {
            using var step = reporter.Start("report: t-SNE maps, figures, faces", 1);
            var written = await ReportBuilder.BuildAsync(inputs, options, cancellationToken).ConfigureAwait(false);
            step.Advance();
            return written;
        }).ConfigureAwait(false);
        await WriteAsync(context, summary).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>Prints the recovery table (synthetic studies), what was left out, and where the report is.</summary>
    public static async Task WriteAsync(CliContext context, ReportSummary summary)
    {
        if (summary.Recovery is { } recovery)
        {
            await WriteRecoveryAsync(context, recovery).ConfigureAwait(false);
        }

        foreach (var omitted in summary.Omitted)
        {
            await context.Output.WriteLineAsync($"Left out: {omitted.Section} ({omitted.Reason}).").ConfigureAwait(false);
        }

        await context.Output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"Report: {summary.HtmlPath} ({summary.HtmlBytes / 1e6:0.0} MB, {summary.Figures.Count} figures as PNG and SVG in {summary.FiguresFolder}).")).ConfigureAwait(false);
    }

    /// <summary>Prints how the found dimensions compare with a synthetic study's planted ones.</summary>
    public static async Task WriteRecoveryAsync(CliContext context, RecoveryResult recovery)
    {
        var (recovered, compared) = recovery.Meanings;
        await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Recovery of the planted truth: {recovery.Matched} of {recovery.Found.Count} found dimensions match one of {recovery.Planted} planted ({recovery.PlantedUniversal} universal); top concept recovered in {recovered} of {compared} (dimension, country) pairs; shared / culture-specific call agrees for {recovery.CallsAgreeing}.")).ConfigureAwait(false);
        var rows = new List<string[]> { RecoveryHeader };
        rows.AddRange(recovery.Found.Select(f => new[]
        {
            f.Dimension,
            f.Planted ?? "none",
            double.IsFinite(f.Correlation) ? f.Correlation.ToString("0.00", CultureInfo.InvariantCulture) : "",
            f.Planted is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{f.MeaningRecovered.Count(m => m.Value)}/{f.MeaningRecovered.Count}"),
            f.FoundShared ? "shared" : "culture-specific",
            f.PlantedUniversal is { } u ? (u ? "universal" : "culture-specific") : "",
            f.CallAgrees ? "yes" : "no",
        }));
        var widths = Enumerable.Range(0, rows[0].Length).Select(j => rows.Max(r => r[j].Length)).ToArray();
        foreach (var row in rows)
        {
            await context.Output.WriteLineAsync("  " + string.Join("  ", row.Select((cell, j) => cell.PadRight(widths[j]))).TrimEnd()).ConfigureAwait(false);
        }

        if (recovery.Missed.Count > 0)
        {
            await context.Output.WriteLineAsync($"  planted but not found: {string.Join(", ", recovery.Missed)}").ConfigureAwait(false);
        }
    }
}
