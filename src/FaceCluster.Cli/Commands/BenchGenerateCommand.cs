using System.CommandLine;
using System.Globalization;
using FaceCluster.Synthetic;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster bench generate</c>: times the synthetic study generator at the tiny and small scales and measures
/// the paper scale's rate (images per second) on a sample of its mimics, projecting the whole paper-scale run.
/// </summary>
internal static class BenchGenerateCommand
{
    /// <summary>Builds the <c>generate</c> command of the <c>bench</c> group.</summary>
    internal static Command Create(CliContext context)
    {
        var scale = new Option<string?>("--scale") { Description = "Time only this scale (tiny or small) [default: both]." };
        scale.AcceptOnlyFromAmong("tiny", "small");
        var sample = new Option<int>("--paper-sample") { Description = "Mimics of the paper-scale configuration to time (0 skips it).", DefaultValueFactory = _ => 2000, HelpName = "N" };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0: all cores).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the generated studies.", DefaultValueFactory = _ => 1UL };
        var command = new Command("generate", "Time synthetic study generation: tiny and small, and the paper scale's rate on a sample.")
        {
            scale, sample, threads, seed,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context, parseResult.GetValue(scale), parseResult.GetValue(sample), parseResult.GetValue(threads), parseResult.GetValue(seed), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string? scale, int sample, int threads, ulong seed, CancellationToken cancellationToken)
    {
        if (sample < 0 || threads < 0)
        {
            throw new InvalidInputException($"--paper-sample and --threads must be 0 or more (got {sample} and {threads})");
        }

        var output = context.Output;
        var workers = threads > 0 ? threads : Environment.ProcessorCount;
        await output.WriteLineAsync(Invariant($"bench generate: {workers} thread(s), {Environment.ProcessorCount} core(s)")).ConfigureAwait(false);
        var scratch = Directory.CreateTempSubdirectory("facecluster-bench-generate-").FullName;
        try
        {
            // Warm up rendering and encoding so that the first timing does not include JIT compilation.
            await RunOnceAsync(context, new SyntheticStudyOptions { Seeds = 2, MimicsPerSeed = 6, Seed = seed, Threads = threads }, scratch, "warm-up", cancellationToken).ConfigureAwait(false);
            var targets = new Dictionary<StudyScale, double> { [StudyScale.Tiny] = 10, [StudyScale.Small] = 120 };
            foreach (var preset in new[] { StudyScale.Tiny, StudyScale.Small })
            {
                if (scale is not null && StudyGenerateCommand.ParseScale(scale) != preset)
                {
                    continue;
                }

                var summary = await RunOnceAsync(context, new SyntheticStudyOptions { Scale = preset, Seed = seed, Threads = threads }, scratch, preset.ToString().ToLowerInvariant(), cancellationToken).ConfigureAwait(false);
                var images = summary.Seeds + summary.Mimics;
                await output.WriteLineAsync(Invariant(
                    $"{preset.ToString().ToLowerInvariant(),-6} {summary.Seeds,6} seeds {summary.Mimics,8} mimics {summary.RatingRows,9} rating rows   {summary.Elapsed.TotalSeconds,8:F2} s   {images / summary.Elapsed.TotalSeconds,7:F0} images/s   target <= {targets[preset]:F0} s")).ConfigureAwait(false);
            }

            if (sample > 0)
            {
                // The paper's configuration on its first seeds: the same image sizes, mimics per seed and ratings.
                var paper = new SyntheticStudyOptions { Scale = StudyScale.Paper, Seed = seed, Threads = threads };
                var seeds = Math.Max(1, (int)Math.Ceiling(sample / (double)paper.MimicsPerSeedCount));
                var summary = await RunOnceAsync(context, paper with { Seeds = seeds }, scratch, "paper sample", cancellationToken).ConfigureAwait(false);
                var images = summary.Seeds + summary.Mimics;
                var rate = images / summary.Elapsed.TotalSeconds;
                var full = SyntheticStudy.Create(paper);
                var projected = TimeSpan.FromSeconds(full.ImageCount / rate);
                await output.WriteLineAsync(Invariant(
                    $"paper  sample of {summary.Mimics} mimics ({summary.Seeds} seeds)   {summary.Elapsed.TotalSeconds,8:F2} s   {rate,7:F0} images/s   projected for {full.SeedCount} seeds + {full.MimicCount} mimics: {projected.TotalMinutes:F0} min ({projected.TotalHours:F2} h)")).ConfigureAwait(false);
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }

        return ExitCodes.Success;
    }

    private static async Task<SyntheticStudySummary> RunOnceAsync(
        CliContext context, SyntheticStudyOptions options, string scratch, string name, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(scratch, name.Replace(' ', '-'));
        var summary = await StudyGenerateCommand.RunAsync(context, options, folder, overwrite: true, name, cancellationToken).ConfigureAwait(false);
        Directory.Delete(folder, recursive: true);
        return summary;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
