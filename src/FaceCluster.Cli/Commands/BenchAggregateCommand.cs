using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceCluster.Studies;
using FaceCluster.Tables;
using Parquet;
using Parquet.Schema;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster bench aggregate</c>: generates a study of paper size (6 countries x 48 concepts, 16 mimics per seed
/// and country) with a ratings table of <c>--rows</c> rows, streamed to disk, then times the streaming validation
/// pass and aggregation of it and reports rows per second and the process's peak working set.
/// </summary>
/// <remarks>
/// Ratings: every mimic gets one self_report event by its maker, then perceiver events on random mimics by raters of
/// the mimic's country, until the row count is reached; each event selects 1 to 8 of the 48 concepts (4.5 rows per
/// event on average) with intensities 1..100. Parquet is written with Parquet.Net's writer one row group at a time,
/// CSV line by line, so generation holds one row group at most. Image files are not created and not checked.
/// The peak working set is that of the whole process; it is printed after generation and after aggregation, so that
/// the aggregation's share shows whenever it exceeds the generator's.
/// </remarks>
internal static class BenchAggregateCommand
{
    private static readonly string[] Countries = ["CN", "ET", "IN", "ZA", "US", "VE"];
    private static readonly string[] Languages = ["zh", "am", "en", "en", "en", "es"];

    /// <summary>Builds the <c>bench aggregate</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var rows = new Option<long>("--rows") { Description = "Rating rows to generate.", DefaultValueFactory = _ => 10_000_000, HelpName = "N" };
        var seeds = new Option<int>("--seeds") { Description = "Seed images (each with 16 mimics per country).", DefaultValueFactory = _ => 4659, HelpName = "N" };
        var format = new Option<string>("--format") { Description = "Ratings file format: parquet or csv.", DefaultValueFactory = _ => "parquet" };
        format.AcceptOnlyFromAmong("parquet", "csv");
        var rowsPerGroup = new Option<int>("--rows-per-group") { Description = "Rows per Parquet row group.", DefaultValueFactory = _ => ParquetTableWriter.DefaultRowsPerGroup, HelpName = "N" };
        var seed = new Option<int>("--seed") { Description = "Seed of the generator.", DefaultValueFactory = _ => 1 };
        var folder = new Option<string?>("--folder") { Description = "Write the generated study here and keep it [default: a temporary folder, deleted at the end].", HelpName = "DIR" };
        var command = new Command("aggregate", "Time the streaming validation and aggregation of a generated ratings table; report rows/s and peak memory.")
        {
            rows, seeds, format, rowsPerGroup, seed, folder,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetValue(rows),
            parseResult.GetValue(seeds),
            parseResult.GetValue(format) == "csv",
            parseResult.GetValue(rowsPerGroup),
            parseResult.GetValue(seed),
            parseResult.GetValue(folder),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        CliContext context, long rows, int seeds, bool csv, int rowsPerGroup, int seed, string? folder, CancellationToken cancellationToken)
    {
        if (rows < 1 || seeds < 1 || rowsPerGroup < 1)
        {
            throw new InvalidInputException($"need --rows >= 1, --seeds >= 1 and --rows-per-group >= 1 (got {rows}, {seeds}, {rowsPerGroup})");
        }

        var keep = folder is not null;
        var path = folder is null
            ? Directory.CreateTempSubdirectory("facecluster-bench-aggregate-").FullName
            : Directory.CreateDirectory(folder).FullName;
        var output = context.Output;
        try
        {
            var watch = Stopwatch.StartNew();
            var layout = new Layout(seeds);
            await WriteStudyAsync(path, layout, cancellationToken).ConfigureAwait(false);
            var ratingsPath = Path.Combine(path, csv ? "ratings.csv" : "ratings.parquet");
            if (csv)
            {
                await WriteCsvAsync(ratingsPath, layout, rows, seed, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WriteParquetAsync(ratingsPath, layout, rows, rowsPerGroup, seed, cancellationToken).ConfigureAwait(false);
            }

            var generateSeconds = watch.Elapsed.TotalSeconds;
            GC.Collect();
            var peakAfterGeneration = PeakWorkingSet();
            await output.WriteLineAsync(Invariant(
                $"bench aggregate: {rows} rating rows ({(csv ? "CSV" : $"Parquet, {rowsPerGroup} rows per row group")}, {new FileInfo(ratingsPath).Length / 1e6:F0} MB), {seeds} seeds x {Countries.Length} countries x 48 concepts, {layout.Mimics} mimics; {Environment.ProcessorCount} core(s)")).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"generated in {generateSeconds:F1} s; peak working set so far {peakAfterGeneration / 1e6:F0} MB")).ConfigureAwait(false);

            watch.Restart();
            var options = new StudyValidationOptions { CheckImageFiles = false, DropIncompleteSeeds = true };
            var validation = await StudyValidator.ValidateAsync(path, options, null, cancellationToken).ConfigureAwait(false);
            var validateSeconds = watch.Elapsed.TotalSeconds;
            var aggregation = StudyAggregator.Aggregate(validation);
            var seconds = watch.Elapsed.TotalSeconds;
            var peak = PeakWorkingSet();
            var s = validation.Statistics;
            await output.WriteLineAsync(Invariant(
                $"validated and aggregated in {seconds:F2} s (ratings pass and checks {validateSeconds:F2} s, aggregation {seconds - validateSeconds:F3} s): {s.RatingRows / seconds / 1e6:F2} million rows/s")).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant(
                $"events {s.Events} ({s.SelfReportEvents} self_report, {s.PerceiverEvents} perceiver); judgments and targets {aggregation.SeedIds.Count} x {aggregation.Attributes.Count}; {validation.ErrorCount} errors, {validation.WarningCount} warnings ({aggregation.DroppedSeeds.Count} seeds dropped)")).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant(
                $"peak working set {peak / 1e6:F0} MB (target <= 2000 MB for 10 million rows){(peak > peakAfterGeneration ? string.Empty : "; no higher than during generation, so the aggregation's own peak is at most this")}")).ConfigureAwait(false);
            if (keep)
            {
                await output.WriteLineAsync($"study kept in {path}").ConfigureAwait(false);
            }
        }
        finally
        {
            if (!keep)
            {
                Directory.Delete(path, recursive: true);
            }
        }

        return ExitCodes.Success;
    }

    private static long PeakWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.PeakWorkingSet64;
    }

    private static async Task WriteStudyAsync(string path, Layout layout, CancellationToken cancellationToken)
    {
        var manifest = new StudyManifest(
            "bench-aggregate",
            Countries,
            layout.Concepts,
            Countries.Select((c, a) => (c, Languages[a])).ToDictionary(p => p.c, p => p.Item2));
        await manifest.WriteAsync(Path.Combine(path, StudyManifest.FileName), cancellationToken).ConfigureAwait(false);

        var images = layout.Seeds + layout.Mimics;
        var ids = new string[images];
        var kinds = new string[images];
        var seedIds = new string?[images];
        var countries = new string?[images];
        var participants = new string?[images];
        var paths = new string[images];
        for (var s = 0; s < layout.Seeds; s++)
        {
            ids[s] = seedIds[s] = layout.SeedIds[s];
            kinds[s] = StudyImage.SeedKind;
            paths[s] = $"images/{layout.SeedIds[s]}.jpg";
        }

        for (var m = 0; m < layout.Mimics; m++)
        {
            var i = layout.Seeds + m;
            ids[i] = layout.MimicIds[m];
            kinds[i] = StudyImage.MimicKind;
            seedIds[i] = layout.SeedIds[Layout.SeedOf(m)];
            countries[i] = Countries[Layout.CountryOf(m)];
            participants[i] = Layout.MakerOf(m);
            paths[i] = $"images/{layout.MimicIds[m]}.jpg";
        }

        await ParquetTableWriter.WriteAsync(
            Path.Combine(path, "images.parquet"),
            [
                new ParquetColumn("image_id", ids),
                new ParquetColumn("kind", kinds),
                new ParquetColumn("seed_id", seedIds),
                new ParquetColumn("country", countries),
                new ParquetColumn("participant_id", participants),
                new ParquetColumn("path", paths),
            ],
            cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteParquetAsync(string path, Layout layout, long rows, int rowsPerGroup, int seed, CancellationToken cancellationToken)
    {
        var names = RatingsReader.Columns;
        var fields = names.Select(n => n == "intensity" ? new DataField(n, typeof(double), false) : new DataField(n, typeof(string), false)).ToArray();
        var size = (int)Math.Min(rowsPerGroup, rows);
        var text = Enumerable.Range(0, 6).Select(_ => new string[size]).ToArray();
        var intensity = new double[size];
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, null, false, cancellationToken).ConfigureAwait(false);
            await using (writer.ConfigureAwait(false))
            {
                async Task FlushAsync(int count)
                {
                    using var group = writer.CreateRowGroup();
                    for (var j = 0; j < 6; j++)
                    {
                        await group.WriteAsync(fields[j], new ArraySegment<string>(text[j], 0, count)).ConfigureAwait(false);
                    }

                    await group.WriteAsync<double>(fields[6], intensity.AsMemory(0, count), null, null, cancellationToken).ConfigureAwait(false);
                    group.CompleteValidate();
                }

                var filled = 0;
                foreach (var row in layout.Ratings(rows, seed))
                {
                    text[0][filled] = row.EventId;
                    text[1][filled] = row.RaterId;
                    text[2][filled] = row.Country;
                    text[3][filled] = row.ImageId;
                    text[4][filled] = row.Phase;
                    text[5][filled] = row.Concept;
                    intensity[filled] = row.Intensity;
                    if (++filled == size)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        await FlushAsync(filled).ConfigureAwait(false);
                        filled = 0;
                    }
                }

                if (filled > 0)
                {
                    await FlushAsync(filled).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task WriteCsvAsync(string path, Layout layout, long rows, int seed, CancellationToken cancellationToken)
    {
        var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false), 1 << 16);
        await using (writer.ConfigureAwait(false))
        {
            writer.NewLine = "\n";
            await writer.WriteLineAsync(string.Join(',', RatingsReader.Columns)).ConfigureAwait(false);
            long n = 0;
            foreach (var row in layout.Ratings(rows, seed))
            {
                if ((++n & 0xFFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                await writer.WriteLineAsync(Invariant($"{row.EventId},{row.RaterId},{row.Country},{row.ImageId},{row.Phase},{row.Concept},{row.Intensity}")).ConfigureAwait(false);
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One generated rating row; strings are shared, except the event id, one per event.</summary>
    private readonly record struct Row(string EventId, string RaterId, string Country, string ImageId, string Phase, string Concept, double Intensity);

    /// <summary>Seeds, mimics (16 per seed and country, each by its own participant), raters per country, concepts.</summary>
    private sealed class Layout
    {
        public const int MimicsPerCountry = 16;
        public const int RatersPerCountry = 2000;

        public Layout(int seeds)
        {
            Seeds = seeds;
            Mimics = seeds * Countries.Length * MimicsPerCountry;
            SeedIds = [.. Enumerable.Range(0, seeds).Select(s => $"s{s:D5}")];
            MimicIds = [.. Enumerable.Range(0, Mimics).Select(m => $"m{m:D7}")];
            Concepts = [.. Enumerable.Range(1, 48).Select(k => $"C{k:D2}")];
            Raters = [.. Countries.Select(c => Enumerable.Range(0, RatersPerCountry).Select(r => $"r{c}{r:D4}").ToArray())];
        }

        public int Seeds { get; }

        public int Mimics { get; }

        public string[] SeedIds { get; }

        public string[] MimicIds { get; }

        public string[] Concepts { get; }

        public string[][] Raters { get; }

        public static int SeedOf(int mimic) => mimic / (Countries.Length * MimicsPerCountry);

        public static int CountryOf(int mimic) => mimic / MimicsPerCountry % Countries.Length;

        public static string MakerOf(int mimic) => $"p{mimic:D7}";

        public IEnumerable<Row> Ratings(long rows, int seed)
        {
            var random = new Random(seed);
            var order = new int[Concepts.Length];
            for (var k = 0; k < order.Length; k++)
            {
                order[k] = k;
            }

            long written = 0;
            for (long e = 0; written < rows; e++)
            {
                var self = e < Mimics;
                var mimic = self ? (int)e : random.Next(Mimics);
                var country = CountryOf(mimic);
                var rater = self ? MakerOf(mimic) : Raters[country][random.Next(RatersPerCountry)];
                var eventId = $"e{e:D9}";
                var phase = self ? RatingRow.SelfReport : RatingRow.Perceiver;
                var selected = 1 + random.Next(8);
                for (var t = 0; t < selected && written < rows; t++)
                {
                    // A partial Fisher-Yates shuffle picks distinct concepts.
                    var pick = t + random.Next(order.Length - t);
                    (order[t], order[pick]) = (order[pick], order[t]);
                    written++;
                    yield return new Row(eventId, rater, Countries[country], MimicIds[mimic], phase, Concepts[order[t]], 1 + random.Next(100));
                }
            }
        }
    }
}
