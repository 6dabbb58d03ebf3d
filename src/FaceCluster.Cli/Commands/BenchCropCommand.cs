using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FaceCluster.Learning.Grains;
using FaceCluster.Synthetic;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster bench crop</c>: crops a generated study (10,000 images by default) through the embedded cluster, as
/// <c>facecluster crop</c> does, and reports images per second, the detection rate and this process's memory while it ran.
/// </summary>
internal static class BenchCropCommand
{
    /// <summary>Builds the <c>crop</c> command of the <c>bench</c> group.</summary>
    internal static Command Create(CliContext context)
    {
        var images = new Option<int>("--images") { Description = "Images of the generated study (seeds and mimics, 1 seed per 10).", DefaultValueFactory = _ => 10_000, HelpName = "N" };
        var study = new Option<string?>("--study") { Description = "Crop this study folder instead of generating one.", HelpName = "DIR" };
        var shardSize = new Option<int>("--shard-size") { Description = "Images per shard.", DefaultValueFactory = _ => new CropParameters().ShardSize, HelpName = "N" };
        var workers = new Option<int>("--workers") { Description = "Shards cropped at once (0: one per core).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the generated study.", DefaultValueFactory = _ => 1UL };
        var command = new Command("crop", "Time face cropping of a study through the embedded cluster: images/s, detection rate, peak memory.")
        {
            images, study, shardSize, workers, seed,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            context, parse.GetValue(images), parse.GetValue(study), parse.GetValue(shardSize), parse.GetValue(workers), parse.GetValue(seed), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, int images, string? studyPath, int shardSize, int workers, ulong seed, CancellationToken cancellationToken)
    {
        if (images < 20 || workers < 0 || shardSize < 1)
        {
            throw new InvalidInputException($"--images must be at least 20, --workers 0 or more and --shard-size 1 or more (got {images}, {workers}, {shardSize})");
        }

        var output = context.Output;
        var scratch = Directory.CreateTempSubdirectory("facecluster-bench-crop-").FullName;
        try
        {
            var study = studyPath is null ? Path.Combine(scratch, "study") : Path.GetFullPath(studyPath);
            if (studyPath is null)
            {
                var seeds = Math.Max(1, images / 10);
                var generation = Stopwatch.StartNew();
                await SyntheticStudyGenerator.GenerateAsync(
                    SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = seeds, MimicsPerSeed = 9, Seed = seed }), study, overwrite: false, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                await output.WriteLineAsync(Invariant($"generated {seeds * 10} images in {generation.Elapsed.TotalSeconds:F1} s")).ConfigureAwait(false);
            }

            var crops = Path.Combine(scratch, "crops");
            var settings = new CropParameters { ShardSize = shardSize };
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            var before = process.WorkingSet64;
            long peak = before;
            var samples = new List<(double Seconds, long Bytes)>();
            using var sampling = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();
            var sampler = Task.Run(
                async () =>
                {
                    while (!sampling.IsCancellationRequested)
                    {
                        process.Refresh();
                        peak = Math.Max(peak, process.WorkingSet64);
                        samples.Add((clock.Elapsed.TotalSeconds, process.WorkingSet64));
                        await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
                    }
                },
                CancellationToken.None);
            var watch = Stopwatch.StartNew();
            await CropCommand.CropThroughClusterAsync(
                context, study, crops, settings, workers, new Execution(false, Path.Combine(scratch, "data-root"), null), cancellationToken).ConfigureAwait(false);
            var seconds = watch.Elapsed.TotalSeconds;
            await sampling.CancelAsync().ConfigureAwait(false);
            await sampler.ConfigureAwait(false);

            using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(crops, "summary.json"), cancellationToken).ConfigureAwait(false));
            var total = summary.RootElement.GetProperty("images").GetInt64();
            var rate = summary.RootElement.GetProperty("detection_rate").GetDouble();
            await output.WriteLineAsync(Invariant(
                $"cropped {total} images in {seconds:F1} s: {total / seconds:F1} images/s on {Environment.ProcessorCount} core(s), detection rate {rate:P2}")).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant(
                $"working set: {before / 1048576.0:F0} MB before, peak {peak / 1048576.0:F0} MB while cropping (silo, client and MTCNN in this process)")).ConfigureAwait(false);

            // Bounded memory: later quarters of the run peak no higher than earlier ones (no growth with images cropped).
            var quarters = Enumerable.Range(0, 4)
                .Select(q => samples.Where(s => s.Seconds > seconds * q / 4 && s.Seconds <= seconds * (q + 1) / 4).Select(s => s.Bytes).DefaultIfEmpty(before).Max())
                .Select(bytes => Invariant($"{bytes / 1048576.0:F0} MB"));
            await output.WriteLineAsync($"peak working set by quarter of the run: {string.Join(", ", quarters)}").ConfigureAwait(false);

            return ExitCodes.Success;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
