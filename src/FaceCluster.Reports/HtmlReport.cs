using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace FaceCluster.Reports;

/// <summary>
/// The report as one self-contained HTML file: styles inline, every figure a <c>data:</c> PNG, no script and no link
/// that the browser would fetch, so it opens offline and can be mailed as it is.
/// </summary>
public static class HtmlReport
{
    /// <summary>The paper's headline numbers (Brooks et al. 2024), shown beside the run's.</summary>
    public static IReadOnlyList<(string Quantity, string Paper)> PaperReference { get; } =
    [
        ("Significant dimensions of DNN predictions against judgments (PPCA)", "28"),
        ("Of those, shared across the six countries", "21"),
        ("Dimensions of judgments preserved across countries (G-PPCA)", "31"),
        ("Preservation of loadings across countries, r", "0.80"),
    ];

    private const string Style = """
        body{font-family:"DejaVu Sans",Arial,sans-serif;margin:0 auto;max-width:1200px;padding:0 24px 48px;color:#1b1b1b;line-height:1.45}
        h1{font-size:1.7em;margin:28px 0 4px}h2{font-size:1.3em;margin-top:40px;border-bottom:2px solid #ddd;padding-bottom:4px}
        h3{font-size:1.05em;margin:20px 0 6px}.lead{color:#555;margin:0 0 16px}
        table{border-collapse:collapse;margin:8px 0 16px;font-size:.9em}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
        th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
        .shared{color:#1b6e20;font-weight:bold}.specific{color:#a0421b;font-weight:bold}.below{background:#fbe3d6}
        .ok{color:#1b6e20}.bad{color:#b00020}figure{margin:16px 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
        figcaption{color:#444;font-size:.9em;margin-top:4px}.files{color:#777;font-size:.85em}
        .montages{display:flex;flex-wrap:wrap;gap:12px}.montages figure{margin:0}nav a{margin-right:10px}
        .omitted li{color:#555}code{white-space:pre-wrap;word-break:break-word}
        """;

    /// <summary>Renders the report.</summary>
    public static string Render(ReportContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var html = new StringBuilder(1 << 20);
        var results = content.Results;
        var ppca = results.Ppca;
        var study = results.Pipeline?["study"]?.GetValue<string>() ?? results.Ppca.Summary["inputs"]?["y"]?.GetValue<string>() ?? results.Inputs.Folder;
        var runId = results.Pipeline?["run_id"]?.GetValue<string>() ?? ppca.Summary["execution"]?["run_id"]?.GetValue<string>();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>FaceCluster report: ")
            .Append(E(Path.GetFileName(study.TrimEnd('/', '\\')))).Append("</title>\n<style>").Append(Style).Append("</style></head><body>\n");
        html.Append("<h1>What facial expressions mean: ").Append(E(Path.GetFileName(study.TrimEnd('/', '\\')))).Append("</h1>\n<p class=\"lead\">Study ")
            .Append(E(study)).Append(runId is null ? "" : $", run {E(runId)}").Append(". The analysis of Brooks et al. 2024 (iScience 27:109175), by FaceCluster ")
            .Append(E(ppca.Summary["versions"]?["facecluster"]?.GetValue<string>() ?? "")).Append(".</p>\n");
        html.Append("<nav><a href=\"#summary\">Summary</a><a href=\"#meanings\">Meanings</a><a href=\"#maps\">Maps</a><a href=\"#continuity\">Continuity</a><a href=\"#preservation\">Preservation</a><a href=\"#gppca\">G-PPCA</a><a href=\"#faces\">Faces</a><a href=\"#morphs\">Morphs</a><a href=\"#training\">Training</a><a href=\"#run\">Run</a></nav>\n");

        Summary(html, content);
        Recovery(html, content);
        Meanings(html, content);
        FigureSection(html, content, "maps", "Maps of the seeds (Figure 4A)", "tsne_dnn", "tsne_human");
        Continuity(html, content);
        FigureSection(html, content, "preservation", "Preservation of meanings across countries (Figure S4)", PreservationFigure.Name);
        Gppca(html, content);
        Faces(html, content);
        FigureSection(html, content, "morphs", "Dimension morphs", ReportBuilder.MorphsFigureName);
        Training(html, content);
        Run(html, content);
        if (content.Omitted.Count > 0)
        {
            html.Append("<h2 id=\"omitted\">Not in this report</h2>\n<ul class=\"omitted\">");
            foreach (var omitted in content.Omitted)
            {
                html.Append("<li>").Append(E(omitted.Section)).Append(": ").Append(E(omitted.Reason)).Append("</li>");
            }

            html.Append("</ul>\n");
        }

        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void Summary(StringBuilder html, ReportContent content)
    {
        var ppca = content.Results.Ppca;
        var shared = ppca.Meanings.Count(m => m.Shared);
        var gppca = content.Results.Gppca?.Summary;
        var preservation = ppca.Summary["preservation"];
        html.Append("<h2 id=\"summary\">Summary</h2>\n<p>")
            .Append(I($"{ppca.Labels.Count} of {ppca.Tests.Count} dimensions of the DNN's predictions are significantly preserved in people's judgments"))
            .Append(ppca.Meanings.Count > 0 ? I($"; {shared} of them are shared across the countries and {ppca.Meanings.Count - shared} culture-specific") : "")
            .Append(gppca is null ? "" : I($". {Number(gppca["n_preserved"])} of {Number(gppca["dimensions_tested"])} dimensions of the judgments are preserved across every pair of countries (G-PPCA)"))
            .Append(preservation is null ? "" : I($". The loadings are preserved across countries with r = {F2(preservation["r"])}"))
            .Append(".</p>\n<table><tr><th>Quantity</th><th>Paper</th><th>This run</th></tr>");
        string?[] ours =
        [
            ppca.Labels.Count.ToString(CultureInfo.InvariantCulture),
            ppca.Meanings.Count > 0 ? shared.ToString(CultureInfo.InvariantCulture) : null,
            gppca is null ? null : Number(gppca["n_preserved"]),
            preservation is null ? null : F2(preservation["r"]),
        ];
        for (var i = 0; i < PaperReference.Count; i++)
        {
            html.Append("<tr><td>").Append(E(PaperReference[i].Quantity)).Append("</td><td class=\"num\">").Append(PaperReference[i].Paper)
                .Append("</td><td class=\"num\">").Append(E(ours[i] ?? "not computed")).Append("</td></tr>");
        }

        html.Append("</table>\n<p class=\"files\">The paper's numbers come from 4,659 seeds, about 450,000 mimics and raters in six countries; a study of another size or design need not reach them.</p>\n");
    }

    private static void Recovery(StringBuilder html, ReportContent content)
    {
        if (content.Recovery is not { } recovery)
        {
            return;
        }

        var (recovered, compared) = recovery.Meanings;
        html.Append("<h2 id=\"recovery\">Recovery of the planted truth</h2>\n<p>")
            .Append(I($"The study is synthetic: {recovery.Planted} dimensions were planted, {recovery.PlantedUniversal} of them universal. {recovery.Matched} of the {recovery.Found.Count} dimensions found match a planted one (loading correlation at least {TruthRecovery.MatchThreshold:0.0}); their top concept is the planted one in {recovered} of {compared} (dimension, country) pairs, and the shared / culture-specific call agrees with the truth for {recovery.CallsAgreeing} of them."))
            .Append("</p>\n<table><tr><th>Found</th><th>Planted</th><th>r</th><th>Meaning recovered in</th><th>Call</th><th>Truth</th><th>Agrees</th></tr>");
        foreach (var found in recovery.Found)
        {
            html.Append("<tr><td>").Append(E(found.Dimension)).Append("</td><td>").Append(E(found.Planted ?? "none")).Append("</td><td class=\"num\">")
                .Append(double.IsFinite(found.Correlation) ? found.Correlation.ToString("0.00", CultureInfo.InvariantCulture) : "")
                .Append("</td><td>").Append(found.Planted is null ? "" : E(I($"{found.MeaningRecovered.Count(m => m.Value)} of {found.MeaningRecovered.Count}") + Missing(found)))
                .Append("</td><td>").Append(found.FoundShared ? "shared" : "culture-specific").Append("</td><td>")
                .Append(found.PlantedUniversal is { } u ? (u ? "universal" : "culture-specific") : "")
                .Append("</td><td class=\"").Append(found.CallAgrees ? "ok\">yes" : "bad\">no").Append("</td></tr>");
        }

        html.Append("</table>\n");
        if (recovery.Missed.Count > 0)
        {
            html.Append("<p>Planted dimensions not found: ").Append(E(string.Join(", ", recovery.Missed))).Append(".</p>\n");
        }

        static string Missing(DimensionRecovery found)
        {
            var missing = found.MeaningRecovered.Where(m => !m.Value).Select(m => m.Key).ToArray();
            return missing.Length == 0 ? "" : $" (not {string.Join(", ", missing)})";
        }
    }

    private static void Meanings(StringBuilder html, ReportContent content)
    {
        var ppca = content.Results.Ppca;
        html.Append("<h2 id=\"meanings\">What each dimension means in each country (Figure 3)</h2>\n");
        if (ppca.Meanings.Count == 0)
        {
            html.Append("<p>No meanings: see the end of the report.</p>\n");
            return;
        }

        var threshold = ppca.Summary["interpretation"]?["shared_threshold"]?.GetValue<double>() ?? Analysis.PpcaInterpretation.DefaultSharedThreshold;
        html.Append("<p>").Append(I($"The top concept of each dimension in each country, with its rotated loading (* significant in the loading-significance replicates{(ppca.HasReplicates ? "" : ", which did not run")}). A dimension is <span class=\"shared\">shared</span> when the country's loadings correlate with the mean loadings at r ≥ {threshold:0.##} in every country, else <span class=\"specific\">culture-specific</span>; shaded cells are below the threshold."))
            .Append("</p>\n<table><tr><th>Dimension</th>");
        foreach (var country in ppca.Meanings[0].Countries)
        {
            html.Append("<th>").Append(E(country.Country)).Append("</th>");
        }

        html.Append("<th>Call</th><th>Most frequent top concept</th></tr>");
        foreach (var meaning in ppca.Meanings)
        {
            html.Append("<tr><td>").Append(E(meaning.Dimension)).Append("</td>");
            foreach (var country in meaning.Countries)
            {
                var top = country.Top[0];
                html.Append(country.AtThreshold ? "<td" : "<td class=\"below\"").Append(" title=\"")
                    .Append(E(string.Join("; ", country.Top.Select(t => I($"{t.Concept} {t.Loading:0.00}{(t.Significant ? "*" : "")}")))))
                    .Append(I($", r = {country.Consistency:0.00}\">")).Append(E(top.Concept)).Append(I($" <small>{top.Loading:0.00}{(top.Significant ? "*" : "")}</small></td>"));
            }

            html.Append("<td class=\"").Append(meaning.Shared ? "shared\">shared" : "specific\">culture-specific")
                .Append(meaning.Shared ? "" : " <small>(" + E(string.Join(", ", meaning.CountriesBelow)) + ")</small>").Append("</td><td>")
                .Append(E(meaning.MostFrequentTopConcept)).Append(I($" <small>({meaning.TopConceptAgreement} of {meaning.Countries.Count})</small></td></tr>"));
        }

        html.Append("</table>\n");
        AppendFigure(html, content.Figure(LoadingsHeatmap.Name));
    }

    private static void Continuity(StringBuilder html, ReportContent content)
    {
        html.Append("<h2 id=\"continuity\">Continuity of the dimensions (Figure 4B)</h2>\n");
        if (content.Continuity.Count == 0)
        {
            html.Append("<p>Not computed: see the end of the report.</p>\n");
            return;
        }

        AppendFigure(html, content.Figure(ContinuityFigure.Name));
        html.Append("<p>The spread (standard deviation) of the human-score percentile among seeds within 5 points of the 25th, 50th and 75th DNN-score percentile: a dimension whose middle is no more ambiguous than its quartiles is continuous, not a set of discrete categories.</p>\n<table><tr><th>Dimension</th><th>at 25th</th><th>at 50th</th><th>at 75th</th></tr>");
        foreach (var dimension in content.Continuity)
        {
            html.Append("<tr><td>").Append(E(dimension.Label)).Append("</td>")
                .Append(I($"<td class=\"num\">{dimension.SpreadAt25:0.0}</td><td class=\"num\">{dimension.SpreadAt50:0.0}</td><td class=\"num\">{dimension.SpreadAt75:0.0}</td></tr>"));
        }

        html.Append("</table>\n");
    }

    private static void Gppca(StringBuilder html, ReportContent content)
    {
        html.Append("<h2 id=\"gppca\">Dimensions of the judgments preserved across countries (G-PPCA)</h2>\n");
        if (content.Results.Gppca is not { } gppca)
        {
            html.Append("<p>Not in this run: see the end of the report.</p>\n");
            return;
        }

        html.Append("<p>").Append(I($"{Number(gppca.Summary["n_preserved"])} of {Number(gppca.Summary["dimensions_tested"])} dimensions are preserved: significant (q < 0.05) for every pair of countries."))
            .Append("</p>\n");
        if (gppca.Summary["preserved_meanings"] is JsonArray meanings && meanings.Count > 0)
        {
            html.Append("<table><tr><th>Dimension</th><th>Top concepts (loading)</th></tr>");
            foreach (var meaning in meanings)
            {
                var concepts = (meaning?["top_concepts"] as JsonArray ?? [])
                    .Select(c => I($"{c?["concept"]?.GetValue<string>()} ({c?["loading"]?.GetValue<double>():0.00})"));
                html.Append("<tr><td>").Append(E(meaning?["dimension"]?.GetValue<string>() ?? "")).Append("</td><td>").Append(E(string.Join(", ", concepts))).Append("</td></tr>");
            }

            html.Append("</table>\n");
        }

        AppendFigure(html, content.Figure(GppcaGraph.Name));
        AppendFigure(html, content.Figure(GppcaGraph.MatrixName));
    }

    private static void Faces(StringBuilder html, ReportContent content)
    {
        html.Append("<h2 id=\"faces\">Faces of each dimension</h2>\n");
        var montages = content.Figures.Where(f => f.Name.StartsWith("faces_", StringComparison.Ordinal)).ToArray();
        if (montages.Length == 0)
        {
            html.Append("<p>No faces: see the end of the report.</p>\n");
            return;
        }

        html.Append("<p>Per dimension, its five top-scoring seeds by the DNN's rotated score (first column) and some of their mimics.</p>\n<div class=\"montages\">");
        foreach (var montage in montages)
        {
            AppendFigure(html, montage);
        }

        html.Append("</div>\n");
    }

    private static void Training(StringBuilder html, ReportContent content)
    {
        html.Append("<h2 id=\"training\">Crops and training</h2>\n<ul>");
        if (content.Results.Crops is { } crops)
        {
            html.Append("<li>").Append(I($"Faces found in {Number(crops["detected"])} of {Number(crops["images"])} images (detection rate {(crops["detection_rate"]?.GetValue<double>() ?? double.NaN) * 100:0.0}%)")).Append(".</li>");
        }

        if (content.Results.Training is { } training)
        {
            var summary = training.Summary;
            html.Append("<li>").Append(I($"Trained on {Number(summary?["train_faces"])} faces for {Number(summary?["epochs_done"])} epochs ({Number(summary?["steps"])} steps); {Number(summary?["held_out_faces"])} faces held out."))
                .Append("</li><li>").Append(I($"Held-out MSE {training.FinalHeldOutMse:0.0000} against {training.BaselineMse:0.0000} for predicting every face by the mean target"))
                .Append(training.FinalHeldOutMse < training.BaselineMse ? " (the DNN beats the mean)." : " (the DNN does not beat the mean).").Append("</li>");
        }

        html.Append("</ul>\n");
        AppendFigure(html, content.Figure(TrainingCurve.Name));
    }

    private static void Run(StringBuilder html, ReportContent content)
    {
        var results = content.Results;
        html.Append("<h2 id=\"run\">The run</h2>\n");
        if (results.Pipeline is { } pipeline && pipeline["stages"] is JsonArray stages)
        {
            html.Append("<table><tr><th>Stage</th><th>Outcome</th><th>Seconds</th></tr>");
            foreach (var stage in stages)
            {
                html.Append("<tr><td>").Append(E(stage?["name"]?.GetValue<string>() ?? "")).Append("</td><td>").Append(E(stage?["outcome"]?.GetValue<string>() ?? ""))
                    .Append("</td><td class=\"num\">").Append(E(stage?["seconds"]?.ToJsonString() ?? "")).Append("</td></tr>");
            }

            html.Append("</table>\n");
        }

        html.Append("<h3>Dimensions tested (PPCA)</h3>\n<table><tr><th>Dimension</th><th>Eigenvalue</th><th>r (held out)</th><th>p</th><th>q (BH)</th><th>SNR</th><th>Significant</th></tr>");
        foreach (var test in results.Ppca.Tests)
        {
            html.Append(I($"<tr><td>{test.Index}</td><td class=\"num\">{test.Eigenvalue:0.###}</td><td class=\"num\">{test.R:0.000}</td><td class=\"num\">{test.P:0.####}</td><td class=\"num\">{test.Q:0.####}</td><td class=\"num\">{test.Snr:0.00}</td><td>{(test.Significant ? "yes" : "")}</td></tr>"));
        }

        html.Append("</table>\n<h3>Settings and versions</h3>\n<table>");
        Row(html, "PPCA parameters", results.Ppca.Summary["parameters"]);
        Row(html, "PPCA timings (s)", results.Ppca.Summary["timings_seconds"]);
        Row(html, "Pipeline parameters", results.Pipeline?["parameters"]);
        Row(html, "Seeds", results.Pipeline?["seeds"]);
        Row(html, "Versions", results.Pipeline?["versions"] ?? results.Ppca.Summary["versions"]);
        Row(html, "Report timings (s)", new JsonObject(content.TimingsSeconds.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)JsonValue.Create(t.Value)))));
        if (content.Tsne is { } tsne)
        {
            Row(html, "t-SNE", JsonValue.Create(I($"perplexity {tsne.Perplexity:0.##}, final KL divergence {tsne.KlDivergence.Dnn:0.000} (DNN) and {tsne.KlDivergence.Human:0.000} (human)")));
        }

        html.Append("</table>\n");
    }

    private static void Row(StringBuilder html, string name, JsonNode? value)
    {
        if (value is null)
        {
            return;
        }

        html.Append("<tr><th>").Append(E(name)).Append("</th><td><code>")
            .Append(E(value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value.ToJsonString()))
            .Append("</code></td></tr>");
    }

    private static void FigureSection(StringBuilder html, ReportContent content, string id, string title, params string[] names)
    {
        html.Append("<h2 id=\"").Append(id).Append("\">").Append(E(title)).Append("</h2>\n");
        var figures = names.Select(content.Figure).Where(f => f is not null).ToArray();
        if (figures.Length == 0)
        {
            html.Append("<p>Not computed: see the end of the report.</p>\n");
        }

        foreach (var figure in figures)
        {
            AppendFigure(html, figure);
        }
    }

    private static void AppendFigure(StringBuilder html, Figure? figure)
    {
        if (figure is null)
        {
            return;
        }

        html.Append("<figure id=\"fig-").Append(figure.Name).Append("\"><img alt=\"").Append(E(figure.Title)).Append("\" src=\"data:image/png;base64,")
            .Append(Convert.ToBase64String(figure.Png)).Append("\"><figcaption><b>").Append(E(figure.Title)).Append(".</b> ").Append(E(figure.Caption))
            .Append(" <span class=\"files\">figures/").Append(figure.Name).Append(figure.Svg.Length > 0 ? ".png, .svg" : ".png").Append("</span></figcaption></figure>\n");
    }

    private static string Number(JsonNode? node) => node?.ToJsonString() ?? "?";

    private static string F2(JsonNode? node) => node?.GetValue<double>().ToString("0.00", CultureInfo.InvariantCulture) ?? "?";

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
