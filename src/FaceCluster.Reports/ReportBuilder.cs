using System.Diagnostics;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;

namespace FaceCluster.Reports;

/// <summary>How to build a report.</summary>
public sealed record ReportOptions
{
    /// <summary>Where <c>report.html</c> goes; null: into the run's folder.</summary>
    public string? HtmlPath { get; init; }

    /// <summary>The seed of the t-SNE maps; null: the PPCA's seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Threads of the t-SNE (0: all cores); the maps do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Top-scoring seeds per dimension in its face montage.</summary>
    public int MontageSeeds { get; init; } = 5;

    /// <summary>Mimics shown beside each of those seeds.</summary>
    public int MontageMimics { get; init; } = 4;
}

/// <summary>A section the report could not include, and why.</summary>
/// <param name="Section">The section.</param>
/// <param name="Reason">What input it lacks.</param>
public sealed record OmittedSection(string Section, string Reason);

/// <summary>What was written and what it holds.</summary>
/// <param name="HtmlPath">The report.</param>
/// <param name="FiguresFolder">Its figures as PNG and SVG.</param>
/// <param name="HtmlBytes">The report's size.</param>
/// <param name="Figures">The figures' names.</param>
/// <param name="Omitted">The sections left out.</param>
/// <param name="Recovery">The recovery of a synthetic study's truth, or null.</param>
/// <param name="TimingsSeconds">Wall time of each step.</param>
public sealed record ReportSummary(
    string HtmlPath,
    string FiguresFolder,
    long HtmlBytes,
    IReadOnlyList<string> Figures,
    IReadOnlyList<OmittedSection> Omitted,
    RecoveryResult? Recovery,
    IReadOnlyDictionary<string, double> TimingsSeconds);

/// <summary>Everything a report shows, computed, before it is written.</summary>
public sealed class ReportContent
{
    /// <summary>The run's outputs.</summary>
    public required RunResults Results { get; init; }

    /// <summary>The figures in the order the report shows them.</summary>
    public List<Figure> Figures { get; } = [];

    /// <summary>Sections left out.</summary>
    public List<OmittedSection> Omitted { get; } = [];

    /// <summary>The t-SNE maps, or null.</summary>
    public TsneMaps? Tsne { get; set; }

    /// <summary>The continuity of each dimension, or empty.</summary>
    public IReadOnlyList<DimensionContinuity> Continuity { get; set; } = [];

    /// <summary>The recovery of the truth, or null.</summary>
    public RecoveryResult? Recovery { get; set; }

    /// <summary>Wall time of each step.</summary>
    public Dictionary<string, double> TimingsSeconds { get; } = [];

    /// <summary>The figure named <paramref name="name"/>, or null.</summary>
    public Figure? Figure(string name) => Figures.Find(f => f.Name == name);
}

/// <summary>
/// Builds the report of a run (analysis.md section 12): reads its outputs, computes the t-SNE maps, the continuity and
/// the recovery of a synthetic study's truth, draws every figure, and writes <c>report.html</c> (self-contained),
/// <c>figures/*.png|svg</c>, <c>tsne.parquet</c> and <c>report.json</c> (written last: the report is complete when it is
/// there). Everything is staged in a hidden folder first, so a failed report leaves the previous one as it was.
/// </summary>
public static class ReportBuilder
{
    /// <summary>The report's summary file; its presence marks a finished report.</summary>
    public const string SummaryFileName = "report.json";

    /// <summary>The report's default file name.</summary>
    public const string HtmlFileName = "report.html";

    /// <summary>The figures' folder.</summary>
    public const string FiguresFolderName = "figures";

    /// <summary>The name of the dimension morphs' figure (<c>figures/morphs.png</c>, a copy of <c>morphs/grid.png</c>; no SVG).</summary>
    public const string MorphsFigureName = "morphs";

    /// <summary>The files and folders a report writes into its run's folder (besides the HTML file).</summary>
    public static IReadOnlyList<string> Outputs { get; } = [FiguresFolderName, TsneMaps.FileName, SummaryFileName];

    /// <summary>Computes everything the report shows.</summary>
    public static async Task<ReportContent> ComputeAsync(ReportInputs inputs, ReportOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var results = await RunResults.LoadAsync(inputs, cancellationToken).ConfigureAwait(false);
        var content = new ReportContent { Results = results };
        Lap(content, "read", watch);
        var ppca = results.Ppca;

        if (results.Truth is { } truth)
        {
            try
            {
                content.Recovery = TruthRecovery.Compare(ppca, TruthRecovery.Planted(truth));
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new InvalidInputException($"{inputs.Truth}: not a synthetic study's truth ({e.Message})");
            }
        }
        else
        {
            content.Omitted.Add(new("Recovery of the planted truth", "the study is not synthetic (no truth.json)"));
        }

        if (ppca.Labels.Count == 0)
        {
            content.Omitted.Add(new("Meanings, loadings, t-SNE, continuity, preservation and faces", "no dimension is significant"));
        }
        else
        {
            AddLoadings(content, ppca);
            await AddScoresAsync(content, ppca, options, watch, cancellationToken).ConfigureAwait(false);
            AddPreservation(content, ppca);
        }

        AddGppca(content, results);
        if (ppca.Labels.Count > 0 && content.Tsne is not null)
        {
            Lap(content, "figures", watch);
            await AddMontagesAsync(content, options, cancellationToken).ConfigureAwait(false);
            Lap(content, "faces", watch);
        }

        if (results.Training is { Points.Count: > 0 } training)
        {
            content.Figures.Add(TrainingCurve.Create(training.Points, training.BaselineMse));
        }
        else
        {
            content.Omitted.Add(new("Training loss curve", inputs.Model is null ? "no model/ folder (not a pipeline run)" : "model/loss.parquet is missing"));
        }

        if (ppca.Labels.Count == 0)
        {
            content.Omitted.Add(new("Dimension morphs", "no dimension is significant"));
        }
        else if (inputs.Morphs is { } morphs)
        {
            var grid = await File.ReadAllBytesAsync(Path.Combine(morphs, "grid.png"), cancellationToken).ConfigureAwait(false);
            content.Figures.Add(new Figure(
                MorphsFigureName,
                "Dimension morphs",
                "Each face is the mean-shape morph of the mimics, made in that country, of the dimension's top seeds by DNN score and by differential score; under it the country's top concept. PNG only (the faces are photographs).",
                grid,
                ""));
        }
        else
        {
            content.Omitted.Add(new("Dimension morphs", "no morphs/ folder (run `facecluster morph RUN`)"));
        }

        if (results.Crops is null)
        {
            content.Omitted.Add(new("Crop detection rate", "no crops/ folder (not a pipeline run)"));
        }

        if (results.Pipeline is null)
        {
            content.Omitted.Add(new("Stage timings", "not a pipeline run (no run.json)"));
        }

        Lap(content, "figures", watch);
        return content;
    }

    /// <summary>Computes the report of <paramref name="inputs"/> and writes it.</summary>
    /// <exception cref="InvalidInputException">An input is missing or damaged (named in the message).</exception>
    public static async Task<ReportSummary> BuildAsync(ReportInputs inputs, ReportOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        var content = await ComputeAsync(inputs, options, cancellationToken).ConfigureAwait(false);
        return await WriteAsync(content, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a computed report: staged in a hidden folder of the run's folder, then moved into place, <c>report.json</c> last.</summary>
    public static async Task<ReportSummary> WriteAsync(ReportContent content, ReportOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var folder = content.Results.Inputs.Folder;
        var htmlPath = Path.GetFullPath(options.HtmlPath ?? Path.Combine(folder, HtmlFileName));
        var staging = Path.Combine(folder, $".report-{Guid.NewGuid():N}");
        try
        {
            var figures = Directory.CreateDirectory(Path.Combine(staging, FiguresFolderName)).FullName;
            foreach (var figure in content.Figures)
            {
                await File.WriteAllBytesAsync(Path.Combine(figures, figure.Name + ".png"), figure.Png, cancellationToken).ConfigureAwait(false);
                if (figure.Svg.Length > 0)
                {
                    await File.WriteAllTextAsync(Path.Combine(figures, figure.Name + ".svg"), figure.Svg, cancellationToken).ConfigureAwait(false);
                }
            }

            if (content.Tsne is { } tsne)
            {
                await tsne.WriteAsync(Path.Combine(staging, TsneMaps.FileName), cancellationToken).ConfigureAwait(false);
            }

            var html = HtmlReport.Render(content);
            var stagedHtml = Path.Combine(staging, HtmlFileName);
            await File.WriteAllTextAsync(stagedHtml, html, cancellationToken).ConfigureAwait(false);
            var htmlBytes = new FileInfo(stagedHtml).Length;
            content.TimingsSeconds["write"] = Math.Round(watch.Elapsed.TotalSeconds, 3);

            // Into place: the old report's parts go first, so that no figure of an earlier report outlives it.
            var target = Path.Combine(folder, FiguresFolderName);
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            File.Delete(Path.Combine(folder, SummaryFileName));
            Directory.Move(figures, target);
            var tsnePath = Path.Combine(folder, TsneMaps.FileName);
            if (content.Tsne is not null)
            {
                File.Move(Path.Combine(staging, TsneMaps.FileName), tsnePath, overwrite: true);
            }
            else
            {
                File.Delete(tsnePath);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(htmlPath)!);
            File.Move(stagedHtml, htmlPath, overwrite: true);
            var summary = new ReportSummary(
                htmlPath, target, htmlBytes, [.. content.Figures.Select(f => f.Name)], content.Omitted, content.Recovery, content.TimingsSeconds);
            await AtomicFile.WriteJsonAsync(Path.Combine(folder, SummaryFileName), SummaryJson(summary, folder), cancellationToken).ConfigureAwait(false);
            return summary;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static void AddLoadings(ReportContent content, PpcaResults ppca)
    {
        if (ppca.Grid is not { } grid)
        {
            content.Omitted.Add(new("Meanings per country and the loadings heatmap", "the attributes are not {country}:{concept} for every country and concept"));
            return;
        }

        var (s, c, q) = (ppca.Labels.Count, grid.Countries.Count, grid.Concepts.Count);
        var loadings = new double[s, c, q];
        var significant = new bool[s, c, q];
        for (var d = 0; d < s; d++)
        {
            for (var a = 0; a < c; a++)
            {
                for (var b = 0; b < q; b++)
                {
                    var row = grid.RowOf(a, b);
                    loadings[d, a, b] = ppca.Loadings[row, d];
                    significant[d, a, b] = ppca.Significant.Contains((ppca.Labels[d], ppca.Attributes[row]));
                }
            }
        }

        content.Figures.Add(LoadingsHeatmap.Create(new LoadingsGrid(ppca.Labels, grid.Countries, grid.Concepts, loadings, significant)));
    }

    private static async Task AddScoresAsync(ReportContent content, PpcaResults ppca, ReportOptions options, Stopwatch watch, CancellationToken cancellationToken)
    {
        if (ppca.Scores is not { } scores)
        {
            content.Omitted.Add(new("t-SNE maps, continuity and faces", "dimension_scores.parquet is missing (a PPCA output of an older version)"));
            return;
        }

        if (scores.Dnn.Rows < 4)
        {
            content.Omitted.Add(new("t-SNE maps, continuity and faces", $"only {scores.Dnn.Rows} seeds"));
            return;
        }

        Lap(content, "figures", watch);
        var seed = options.Seed ?? ppca.Summary["parameters"]?["seed"]?.GetValue<ulong>() ?? 1;
        var tsne = await Task.Run(() => TsneMaps.Compute(ppca.SeedIds, scores, seed, options.Threads, cancellationToken), cancellationToken).ConfigureAwait(false);
        content.Tsne = tsne;
        Lap(content, "tsne", watch);
        content.Figures.Add(TsneMap.Create("tsne_dnn", "Seeds by the DNN's predictions (t-SNE of Zx)", tsne.Dnn.Column(0), tsne.Dnn.Column(1), tsne.Dominant, tsne.Labels));
        content.Figures.Add(TsneMap.Create("tsne_human", "Seeds by people's judgments (t-SNE of Zy)", tsne.Human.Column(0), tsne.Human.Column(1), tsne.Dominant, tsne.Labels));
        content.Continuity = Continuity.Compute(scores);
        content.Figures.Add(ContinuityFigure.Create(content.Continuity));
    }

    private static void AddPreservation(ReportContent content, PpcaResults ppca)
    {
        if (ppca.Summary["preservation"] is not JsonObject preservation)
        {
            content.Omitted.Add(new("Preservation across countries", ppca.Summary["preservation_skipped"]?.GetValue<string>() ?? "not computed"));
            return;
        }

        static IReadOnlyList<(string, double)> Entries(JsonNode? node) =>
            node is JsonObject o ? [.. o.Select(e => (e.Key, e.Value?.GetValue<double>() ?? double.NaN))] : [];
        content.Figures.Add(PreservationFigure.Create(
            preservation["r"]!.GetValue<double>(),
            preservation["r2"]!.GetValue<double>(),
            Entries(preservation["per_dimension"]),
            Entries(preservation["per_country"])));
    }

    private static void AddGppca(ReportContent content, RunResults results)
    {
        if (results.Gppca is not { } gppca)
        {
            content.Omitted.Add(new("G-PPCA (dimensions preserved across countries)", "no gppca/ folder (run `facecluster run`, or `analyze gppca` into the run's gppca/)"));
            return;
        }

        if (gppca.Countries.Count < 2 || gppca.Dimensions.Count == 0)
        {
            content.Omitted.Add(new("G-PPCA graph", "fewer than two countries"));
            return;
        }

        content.Figures.Add(GppcaGraph.Create(gppca.Countries, gppca.Dimensions));
        content.Figures.Add(GppcaGraph.CreateMatrix(gppca.Countries, gppca.Dimensions));
    }

    /// <summary>Per dimension, the crops of its top-scoring seeds (by <c>Zx</c>) and of some of their mimics.</summary>
    private static async Task AddMontagesAsync(ReportContent content, ReportOptions options, CancellationToken cancellationToken)
    {
        var results = content.Results;
        if (results.Inputs.Crops is not { } cropsFolder)
        {
            content.Omitted.Add(new("Faces of each dimension", "no crops/ folder (not a pipeline run)"));
            return;
        }

        var scores = results.Ppca.Scores!;
        var tops = TopSeeds(results.Ppca.SeedIds, scores.Dnn, options.MontageSeeds);
        var wantedSeeds = tops.SelectMany(t => t).ToHashSet(StringComparer.Ordinal);
        var mimicsTaken = new Dictionary<string, int>(StringComparer.Ordinal);
        bool Wanted(string imageId, string kind, string seedId)
        {
            if (!wantedSeeds.Contains(seedId))
            {
                return false;
            }

            if (kind != "mimic")
            {
                return true;
            }

            var taken = mimicsTaken.GetValueOrDefault(seedId);
            mimicsTaken[seedId] = taken + 1;
            return taken < options.MontageMimics;
        }

        var set = CropSet.Open(cropsFolder);
        var samples = await CropSamples.ReadAsync(set, Wanted, cancellationToken).ConfigureAwait(false);
        var seedCrops = samples.Where(s => s.Kind != "mimic").GroupBy(s => s.SeedId).ToDictionary(g => g.Key, g => g.First().Pixels, StringComparer.Ordinal);
        var mimicCrops = samples.Where(s => s.Kind == "mimic").GroupBy(s => s.SeedId).ToDictionary(g => g.Key, g => g.Select(s => s.Pixels).ToArray(), StringComparer.Ordinal);
        var size = set.Manifest.ImageSize;
        var meanings = results.Ppca.Meanings;
        // The montages are independent and PNG encoding is the slow part: drawn in parallel, added in dimension order.
        var montages = new Figure?[scores.Labels.Count];
        Parallel.For(0, scores.Labels.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Threads(options) }, d =>
        {
            var rows = tops[d]
                .Where(seedCrops.ContainsKey)
                .Select(seedId => new MontageRow(seedId, seedCrops[seedId], mimicCrops.GetValueOrDefault(seedId, []), size))
                .ToArray();
            if (rows.Length > 0)
            {
                var meaning = meanings.FirstOrDefault(m => m.Dimension == scores.Labels[d])?.MostFrequentTopConcept;
                var title = meaning is null ? $"Dimension {scores.Labels[d]}" : $"Dimension {scores.Labels[d]} ({meaning})";
                montages[d] = FaceMontage.Create(MontageName(scores.Labels[d], d), title, rows);
            }
        });
        for (var d = 0; d < montages.Length; d++)
        {
            if (montages[d] is { } montage)
            {
                content.Figures.Add(montage);
            }
            else
            {
                content.Omitted.Add(new($"Faces of dimension {scores.Labels[d]}", "its top seeds have no crop"));
            }
        }
    }

    private static int Threads(ReportOptions options) => options.Threads > 0 ? options.Threads : Environment.ProcessorCount;

    /// <summary>
    /// The montage's figure name: <c>faces_</c> and the label in lower case, or the dimension's number when the label is
    /// not ASCII (labels past Z are Greek letters).
    /// </summary>
    internal static string MontageName(string label, int index) =>
        label.All(char.IsAsciiLetterOrDigit) ? $"faces_{label.ToLowerInvariant()}" : $"faces_{index + 1}";

    /// <summary>Per dimension, the <paramref name="count"/> seeds with the largest scores (ties: the earlier seed).</summary>
    internal static string[][] TopSeeds(IReadOnlyList<string> seedIds, RowMajorMatrix scores, int count) =>
        [.. Enumerable.Range(0, scores.Columns).Select(d => Enumerable.Range(0, scores.Rows)
            .OrderByDescending(i => scores[i, d]).ThenBy(i => i)
            .Take(count)
            .Select(i => seedIds[i])
            .ToArray())];

    /// <summary>Adds the time since the last lap to <paramref name="step"/> (figures are drawn in several places).</summary>
    private static void Lap(ReportContent content, string step, Stopwatch watch)
    {
        var since = watch.Elapsed.TotalSeconds - content.TimingsSeconds.Values.Sum();
        content.TimingsSeconds[step] = Math.Round(content.TimingsSeconds.GetValueOrDefault(step) + since, 3);
    }

    private static JsonObject SummaryJson(ReportSummary summary, string folder)
    {
        var timings = new JsonObject();
        foreach (var (step, seconds) in summary.TimingsSeconds)
        {
            timings[step] = seconds;
        }

        var recovery = summary.Recovery is { } r
            ? new JsonObject
            {
                ["planted"] = r.Planted,
                ["planted_universal"] = r.PlantedUniversal,
                ["found"] = r.Found.Count,
                ["matched"] = r.Matched,
                ["calls_agreeing"] = r.CallsAgreeing,
                ["meanings_recovered"] = r.Meanings.Recovered,
                ["meanings_compared"] = r.Meanings.Total,
                ["missed"] = new JsonArray([.. r.Missed.Select(m => JsonValue.Create(m))]),
                ["dimensions"] = new JsonArray([.. r.Found.Select(f => (JsonNode)new JsonObject
                {
                    ["dimension"] = f.Dimension,
                    ["planted"] = f.Planted,
                    ["r"] = double.IsFinite(f.Correlation) ? f.Correlation : null,
                    ["meanings_recovered"] = f.MeaningRecovered.Count(m => m.Value),
                    ["call"] = f.FoundShared ? "shared" : "culture-specific",
                    ["truth"] = f.PlantedUniversal is { } u ? (u ? "universal" : "culture-specific") : null,
                    ["call_agrees"] = f.CallAgrees,
                })]),
            }
            : null;
        return new JsonObject
        {
            ["report"] = Path.GetRelativePath(folder, summary.HtmlPath),
            ["html_bytes"] = summary.HtmlBytes,
            ["figures"] = new JsonArray([.. summary.Figures.Select(f => JsonValue.Create(f))]),
            ["omitted"] = new JsonArray([.. summary.Omitted.Select(o => (JsonNode)new JsonObject { ["section"] = o.Section, ["reason"] = o.Reason })]),
            ["recovery"] = recovery,
            ["timings_seconds"] = timings,
            ["versions"] = FaceCluster.Outputs.SummaryJson.Versions(),
        };
    }
}
