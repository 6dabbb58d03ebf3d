using System.Globalization;
using System.Text.Json;
using FaceCluster.Studies.Tests;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

public sealed class StudyCommandTests : IDisposable
{
    private readonly StudyFolderBuilder _study = StudyFolderBuilder.Tiny();

    public void Dispose() => _study.Dispose();

    private string Out => Path.Combine(_study.Root, "out");

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Validate_a_valid_study_exits_0()
    {
        await _study.WriteAsync();
        var run = await CliRun.Of("study", "validate", _study.Path);

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.StartsWith("Study \"tiny\": 7 images (2 seeds, 5 mimics, 7 image files checked); 12 rating rows, 8 events (5 self_report and 3 perceiver on mimics, 0 on seeds)", run.Output, StringComparison.Ordinal);
        Assert.EndsWith("No errors, 0 warnings: the study is valid.\n", run.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_with_warnings_only_exits_0_and_prints_them()
    {
        _study.Ratings.Add(["e9", "r4", "CN", "s1", "perceiver", "Anger", "100"]);
        await _study.WriteAsync();
        var run = await CliRun.Of("study", "validate", _study.Path);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("ratings.parquet:13: warning: column \"image_id\": event \"e9\" rates seed image \"s1\"; only ratings of mimics count, so it is ignored", Lines(run.Output)[0]);
        Assert.Contains("No errors, 1 warning: the study is valid.", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_with_errors_exits_2_and_prints_file_row_and_message()
    {
        _study.Ratings[3][5] = "Rage";
        _study.Ratings[4][6] = "abc";
        _study.Images.Add(["m2", "mimic", "s2", "US", "p9", "images/m2b.png"]);
        await _study.WriteAsync(csv: true);
        var run = await CliRun.Of("study", "validate", _study.Path);

        Assert.Equal(2, run.ExitCode);
        var lines = Lines(run.Output);
        Assert.Equal(
            [
                "images.csv:8: error: column \"image_id\": image id \"m2\" appears twice (first in row 4)",
                "ratings.csv:4: error: column \"concept\": \"Rage\" is not a concept of study.json",
                "ratings.csv:5: error: column \"intensity\": \"abc\" is not a number",
            ],
            lines[..3]);
        Assert.Contains("3 errors, 0 warnings: the study is not valid.", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_caps_the_printed_problems_per_kind()
    {
        for (var i = 0; i < 25; i++)
        {
            _study.Ratings.Add([$"x{i}", "r1", "CN", "m1", "perceiver", "Rage", "1"]);
        }

        await _study.WriteAsync();
        var run = await CliRun.Of("study", "validate", _study.Path, "--max-per-kind", "3");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(3, Lines(run.Output).Count(l => l.Contains("is not a concept", StringComparison.Ordinal)));
        Assert.Contains("… 22 more unknown-concept error(s) not shown (25 in all)", run.Output, StringComparison.Ordinal);
        Assert.Contains("25 errors, 0 warnings", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_as_json()
    {
        _study.Ratings[0][6] = "120";
        await _study.WriteAsync();
        var run = await CliRun.Of("study", "validate", _study.Path, "--format", "json");

        Assert.Equal(2, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.False(root.GetProperty("valid").GetBoolean());
        Assert.Equal(1, root.GetProperty("errors").GetInt64());
        var problem = root.GetProperty("problems")[0];
        Assert.Equal("intensity-out-of-range", problem.GetProperty("kind").GetString());
        Assert.Equal("ratings.parquet", problem.GetProperty("file").GetString());
        Assert.Equal(1, problem.GetProperty("row").GetInt64());
        Assert.Equal("intensity", problem.GetProperty("column").GetString());
        Assert.Equal(12, root.GetProperty("statistics").GetProperty("rating_rows").GetInt64());
    }

    [Fact]
    public async Task Validate_a_missing_folder_is_one_error_line()
    {
        var run = await CliRun.Of("study", "validate", Path.Combine(_study.Root, "nope"));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: {Path.Combine(_study.Root, "nope")}: study folder not found", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Validate_catches_a_symbolic_link_leaving_the_folder()
    {
        var outside = Path.Combine(_study.Root, "secret.png");
        await File.WriteAllBytesAsync(outside, StudyFolderBuilder.Png(4, 4), TestContext.Current.CancellationToken);
        Directory.CreateDirectory(Path.Combine(_study.Path, "images"));
        File.CreateSymbolicLink(Path.Combine(_study.Path, "images", "m4.png"), outside);
        _study.SkipImageFiles.Add("images/m4.png");
        await _study.WriteAsync();

        var run = await CliRun.Of("study", "validate", _study.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("images.parquet:6: error: column \"path\": \"images/m4.png\" leaves the study folder through a symbolic link", Lines(run.Output)[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_reports_a_truncated_jpeg_with_decode()
    {
        var jpeg = StudyFolderBuilder.Jpeg(64, 64);
        Directory.CreateDirectory(Path.Combine(_study.Path, "images"));
        await File.WriteAllBytesAsync(Path.Combine(_study.Path, "images", "m3.jpg"), jpeg.AsSpan(0, jpeg.Length / 2).ToArray(), TestContext.Current.CancellationToken);
        _study.Images[_study.ImageRow("m3") - 1][5] = "images/m3.jpg";
        await _study.WriteAsync();

        var header = await CliRun.Of("study", "validate", _study.Path);
        var full = await CliRun.Of("study", "validate", _study.Path, "--decode");

        Assert.Equal(0, header.ExitCode);
        Assert.Equal(2, full.ExitCode);
        Assert.StartsWith("images.parquet:5: error: column \"path\": \"images/m3.jpg\" is not a readable image (decoding its pixels failed: the file is truncated)", Lines(full.Output)[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Aggregate_writes_judgments_targets_and_summary()
    {
        await _study.WriteAsync();
        var run = await CliRun.Of("study", "aggregate", _study.Path, "--out", Out);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(["judgments.parquet", "summary.json", "targets.parquet"], Directory.GetFiles(Out).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.StartsWith("Aggregated 2 seeds x 6 attributes (2 countries x 3 concepts) from 12 rating rows, 8 events on 5 mimics", run.Output, StringComparison.Ordinal);
        var judgments = ParquetTableReader.ReadAll(Path.Combine(Out, "judgments.parquet"));
        Assert.Equal(["seed_id", "CN:Anger", "CN:Joy", "CN:Fear", "US:Anger", "US:Joy", "US:Fear"], judgments.Columns.Select(c => c.Name));
        Assert.Equal(new[] { 30.0, 0.0 }, (double[])judgments.Columns[1].Values);
        var targets = ParquetTableReader.ReadAll(Path.Combine(Out, "targets.parquet"));
        Assert.Equal(new[] { 1.0, 0.0 }, (double[])targets.Columns[5].Values);

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Out, "summary.json"), TestContext.Current.CancellationToken));
        var root = summary.RootElement;
        Assert.Equal("tiny", root.GetProperty("study").GetString());
        Assert.Equal(2, root.GetProperty("seeds").GetInt32());
        Assert.Equal(5, root.GetProperty("mimics").GetInt32());
        Assert.Equal(8, root.GetProperty("events").GetInt32());
        Assert.Equal(12, root.GetProperty("rating_rows").GetInt32());
        Assert.True(root.GetProperty("timings").GetProperty("total_seconds").GetDouble() > 0);
    }

    [Fact]
    public async Task Aggregate_refuses_seeds_without_events_in_a_country_and_writes_nothing()
    {
        _study.Ratings.RemoveAll(r => r[0] is "e4" or "e3");
        await _study.WriteAsync();
        var run = await CliRun.Of("study", "aggregate", _study.Path, "--out", Out);

        Assert.Equal(2, run.ExitCode);
        var lines = run.ErrorLines;
        Assert.Contains(lines, l => l.StartsWith("images.parquet:1: error: seed \"s1\" has no self_report rating events from US", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("images.parquet:2: error: seed \"s2\" has no self_report rating events from CN", StringComparison.Ordinal));
        Assert.Equal($"error: {_study.Path}: 2 errors (listed above); nothing was written", lines[^1]);
        Assert.False(Directory.Exists(Out));
        Assert.Empty(Directory.GetDirectories(_study.Root, ".out*"));
    }

    [Fact]
    public async Task Aggregate_drops_incomplete_seeds_when_asked()
    {
        _study.Images.AddRange([["s3", "seed", "s3", null, null, "images/s3.png"], ["m6", "mimic", "s3", "CN", "p6", "images/m6.png"]]);
        _study.Ratings.Add(["e20", "p6", "CN", "m6", "self_report", "Anger", "99"]);
        await _study.WriteAsync();
        var run = await CliRun.Of("study", "aggregate", _study.Path, "--out", Out, "--drop-incomplete");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Dropped 1 seed lacking self_report events in some country: s3.", run.Output, StringComparison.Ordinal);
        Assert.Contains("images.parquet:8: warning: seed \"s3\" has no self_report rating events from US; dropped", run.Error, StringComparison.Ordinal);
        var judgments = ParquetTableReader.ReadAll(Path.Combine(Out, "judgments.parquet"));
        Assert.Equal(new[] { "s1", "s2" }, (string?[])judgments.Columns[0].Values);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Out, "summary.json"), TestContext.Current.CancellationToken));
        Assert.Equal("s3", summary.RootElement.GetProperty("dropped_seeds")[0].GetString());
    }

    [Fact]
    public async Task Aggregate_refuses_an_existing_output_folder_unless_overwriting()
    {
        await _study.WriteAsync();
        Directory.CreateDirectory(Out);

        var refused = await CliRun.Of("study", "aggregate", _study.Path, "--out", Out);
        var replaced = await CliRun.Of("study", "aggregate", _study.Path, "--out", Out, "--overwrite");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("already exists", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(0, replaced.ExitCode);
        Assert.True(File.Exists(Path.Combine(Out, "targets.parquet")));
    }

    [Fact]
    public async Task Bench_aggregate_reports_time_rate_and_memory()
    {
        var run = await CliRun.Of("bench", "aggregate", "--rows", "20000", "--seeds", "10", "--rows-per-group", "5000");

        Assert.True(run.ExitCode == 0, run.Error);
        var lines = Lines(run.Output);
        Assert.StartsWith("bench aggregate: 20000 rating rows (Parquet, 5000 rows per row group", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("validated and aggregated in ", StringComparison.Ordinal) && l.EndsWith(" million rows/s", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("events ", StringComparison.Ordinal) && l.Contains("judgments and targets 10 x 288; 0 errors", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("peak working set ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bench_aggregate_on_csv()
    {
        var run = await CliRun.Of("bench", "aggregate", "--rows", "5000", "--seeds", "4", "--format", "csv");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("rating rows (CSV,", run.Output, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"judgments and targets 4 x 288"), run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_the_study_commands()
    {
        var root = await CliRun.Of("--help");
        var study = await CliRun.Of("study", "--help");
        var aggregate = await CliRun.Of("study", "aggregate", "--help");

        Assert.Contains("study", root.Output, StringComparison.Ordinal);
        Assert.Contains("validate", study.Output, StringComparison.Ordinal);
        Assert.Contains("aggregate", study.Output, StringComparison.Ordinal);
        foreach (var option in new[] { "--out", "--drop-incomplete", "--overwrite", "--decode" })
        {
            Assert.Contains(option, aggregate.Output, StringComparison.Ordinal);
        }
    }
}
