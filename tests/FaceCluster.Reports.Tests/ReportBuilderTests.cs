using System.Text.Json.Nodes;
using FaceCluster.Tables;
using FaceCluster.Testing;

namespace FaceCluster.Reports.Tests;

/// <summary>The report of a run folder made by the real analysis code (<see cref="RunFolderFixture"/>).</summary>
public sealed class ReportBuilderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-report-tests-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static byte[] MorphGridStandIn()
    {
        using var bitmap = new SkiaSharp.SKBitmap(8, 8);
        bitmap.Erase(SkiaSharp.SKColors.Tan);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public async Task A_pipeline_folder_gives_every_section_and_recovers_the_planted_truth()
    {
        var run = await RunFolderFixture.CreateAsync(_root, cancellationToken: Ct);

        // The morph stage's grid (any PNG will do here): the report embeds it and copies it as figures/morphs.png, PNG only.
        var grid = MorphGridStandIn();
        await File.WriteAllBytesAsync(Path.Combine(Directory.CreateDirectory(Path.Combine(run, "morphs")).FullName, "grid.png"), grid, Ct);
        var summary = await ReportBuilder.BuildAsync(ReportInputs.Locate(run), new ReportOptions { Threads = 2 }, Ct);

        Assert.Equal(Path.Combine(run, "report.html"), summary.HtmlPath);
        Assert.Empty(summary.Omitted);
        Assert.Contains(ReportBuilder.MorphsFigureName, summary.Figures);
        Assert.Equal(grid, await File.ReadAllBytesAsync(Path.Combine(run, "figures", "morphs.png"), Ct));
        Assert.False(File.Exists(Path.Combine(run, "figures", "morphs.svg")));
        Assert.Contains("<h2 id=\"morphs\">Dimension morphs</h2>", await File.ReadAllTextAsync(summary.HtmlPath, Ct), StringComparison.Ordinal);
        Assert.True(summary.HtmlBytes < 10_000_000);
        foreach (var name in new[] { "loadings_heatmap", "tsne_dnn", "tsne_human", "continuity", "preservation", "gppca_graph", "gppca_matrix", "training_curve", "faces_a", "faces_b", "faces_c" })
        {
            Assert.Contains(name, summary.Figures);
            Assert.True(File.Exists(Path.Combine(run, "figures", name + ".png")), name);
            Assert.True(File.Exists(Path.Combine(run, "figures", name + ".svg")), name);
        }

        // The truth: every found dimension matches its planted one, means there what was planted, and gets its call.
        var recovery = summary.Recovery!;
        Assert.Equal((3, 3, 2), (recovery.Found.Count, recovery.Planted, recovery.PlantedUniversal));
        Assert.Equal(3, recovery.Matched);
        Assert.Equal(3, recovery.CallsAgreeing);
        Assert.Equal((9, 9), recovery.Meanings);
        Assert.Empty(recovery.Missed);
        var specific = Assert.Single(recovery.Found, f => f.Planted == "D03");
        Assert.False(specific.FoundShared);

        // tsne.parquet: one row per seed, the dominant dimension by name.
        var tsne = await ParquetTableReader.ReadAllAsync(Path.Combine(run, "tsne.parquet"), Ct);
        Assert.Equal(["seed_id", "dnn_x", "dnn_y", "human_x", "human_y", "dominant"], tsne.Columns.Select(c => c.Name));
        Assert.Equal(RunFolderFixture.Seeds, tsne.RowCount);
        Assert.All((string?[])tsne.FindColumn("dominant")!.Values, d => Assert.Contains(d, new[] { "A", "B", "C" }));

        var html = await File.ReadAllTextAsync(summary.HtmlPath, Ct);
        foreach (var id in new[] { "summary", "recovery", "meanings", "maps", "continuity", "preservation", "gppca", "faces", "training", "run" })
        {
            Assert.Contains($"id=\"{id}\"", html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.Contains("culture-specific", html, StringComparison.Ordinal);

        var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(run, "report.json"), Ct))!;
        Assert.Equal(3, json["recovery"]!["calls_agreeing"]!.GetValue<int>());
        Assert.Equal("report.html", json["report"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_montage_of_a_dimension_shows_its_top_seeds_and_their_mimics()
    {
        var run = await RunFolderFixture.CreateAsync(_root, cancellationToken: Ct);
        var inputs = ReportInputs.Locate(run);
        var content = await ReportBuilder.ComputeAsync(inputs, new ReportOptions { Threads = 2, MontageSeeds = 2, MontageMimics = 2 }, Ct);

        // The crops read for the montages are exactly the top seeds of every dimension and their first mimics.
        var tops = ReportBuilder.TopSeeds(content.Results.Ppca.SeedIds, content.Results.Ppca.Scores!.Dnn, 2);
        Assert.Equal(3, tops.Length);
        Assert.All(tops, t => Assert.Equal(2, t.Length));
        var montages = content.Figures.Where(f => f.Name.StartsWith("faces_", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, montages.Length);
        using var bitmap = SkiaSharp.SKBitmap.Decode(montages[0].Png);
        var seedIndex = int.Parse(tops[0][0].AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) - 1;
        var (r, g, b) = RunFolderFixture.ColourOf(seedIndex, 0);
        var found = false;
        for (var y = 0; y < bitmap.Height && !found; y++)
        {
            for (var x = 0; x < bitmap.Width && !found; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                found = Math.Abs(pixel.Red - r) <= 2 && Math.Abs(pixel.Green - g) <= 2 && Math.Abs(pixel.Blue - b) <= 2;
            }
        }

        Assert.True(found, $"the colour of seed {tops[0][0]} is not in the montage of dimension A");
    }

    [Fact]
    public async Task A_ppca_folder_alone_leaves_out_and_names_the_sections_it_has_no_input_for()
    {
        var run = await RunFolderFixture.CreateAsync(_root, pipeline: false, cancellationToken: Ct);
        var summary = await ReportBuilder.BuildAsync(ReportInputs.Locate(run), new ReportOptions { Threads = 2 }, Ct);

        Assert.Null(summary.Recovery);
        var omitted = summary.Omitted.Select(o => o.Section).ToArray();
        Assert.Contains("Recovery of the planted truth", omitted);
        Assert.Contains("G-PPCA (dimensions preserved across countries)", omitted);
        Assert.Contains("Training loss curve", omitted);
        Assert.Contains("Faces of each dimension", omitted);
        Assert.Contains("Dimension morphs", omitted);
        Assert.Contains("tsne_dnn", summary.Figures);
        var html = await File.ReadAllTextAsync(summary.HtmlPath, Ct);
        Assert.Contains("Not in this report", html, StringComparison.Ordinal);
        Assert.Contains("no gppca/ folder", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_report_is_deterministic()
    {
        var run = await RunFolderFixture.CreateAsync(_root, cancellationToken: Ct);
        await ReportBuilder.BuildAsync(ReportInputs.Locate(run), new ReportOptions { Threads = 1 }, Ct);
        var first = Directory.GetFiles(Path.Combine(run, "figures")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var tsne = await File.ReadAllBytesAsync(Path.Combine(run, "tsne.parquet"), Ct);

        await ReportBuilder.BuildAsync(ReportInputs.Locate(run), new ReportOptions { Threads = 2 }, Ct);
        Assert.Equal(first, Directory.GetFiles(Path.Combine(run, "figures")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray());
        Assert.Equal(tsne, await File.ReadAllBytesAsync(Path.Combine(run, "tsne.parquet"), Ct));
    }

    [Fact]
    public async Task A_failed_report_names_the_file_and_leaves_the_previous_report_as_it_was()
    {
        var run = await RunFolderFixture.CreateAsync(_root, cancellationToken: Ct);
        await ReportBuilder.BuildAsync(ReportInputs.Locate(run), new ReportOptions { Threads = 2 }, Ct);
        var before = await File.ReadAllBytesAsync(Path.Combine(run, "report.html"), Ct);
        var figures = Directory.GetFiles(Path.Combine(run, "figures")).Length;

        var damaged = Path.Combine(run, "gppca", "gppca.parquet");
        await File.WriteAllTextAsync(damaged, "not parquet", Ct);
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => ReportBuilder.BuildAsync(ReportInputs.Locate(run), new ReportOptions { Threads = 2 }, Ct));
        Assert.Contains("gppca.parquet", error.Message, StringComparison.Ordinal);

        Assert.Equal(before, await File.ReadAllBytesAsync(Path.Combine(run, "report.html"), Ct));
        Assert.Equal(figures, Directory.GetFiles(Path.Combine(run, "figures")).Length);
        Assert.Empty(Directory.GetDirectories(run, ".report-*"));
    }

    [Fact]
    public void A_folder_that_is_no_run_is_refused_in_one_line()
    {
        var error = Assert.Throws<InvalidInputException>(() => ReportInputs.Locate(_root));
        Assert.Contains(_root, error.Message, StringComparison.Ordinal);
        Assert.Contains("neither a pipeline's output folder", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Throws<InvalidInputException>(() => ReportInputs.Locate(Path.Combine(_root, "missing")));
    }

    [Fact]
    public async Task The_report_opens_in_chromium_with_no_console_error_no_broken_image_and_no_network_request()
    {
        HeadlessBrowser.SkipUnlessInstalled();
        var run = await RunFolderFixture.CreateAsync(_root, cancellationToken: Ct);
        var summary = await ReportBuilder.BuildAsync(ReportInputs.Locate(run), new ReportOptions { Threads = 2 }, Ct);

        await using var browser = await HeadlessBrowser.LaunchAsync();
        var page = await browser.OpenAsync(new Uri(summary.HtmlPath), "report");
        Assert.True(page.Problems.Count == 0, string.Join("\n", page.Problems));
        Assert.Empty(page.FailedRequests);
        Assert.Contains("Recovery of the planted truth", page.Text, StringComparison.Ordinal);
        Assert.Contains("What each dimension means in each country", page.Text, StringComparison.Ordinal);
        Assert.True(File.Exists(page.ScreenshotPath));
    }
}
