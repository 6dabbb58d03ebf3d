using FaceCluster.Learning.Grains;
using FaceCluster.Studies.Crops;
using FaceCluster.Synthetic;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

/// <summary><c>facecluster run</c>: the whole pipeline on a small generated study, its record, reruns.</summary>
public sealed class PipelineCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-pipeline-tests-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A small study, and the arguments of a run of it with one worker and crop shards of four images.</summary>
    private async Task<(string Run, string[] Arguments, string Shards)> ShardedRunAsync(ulong studySeed)
    {
        var study = Path.Combine(_root, "study");
        await SyntheticStudyGenerator.GenerateAsync(
            SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 12, MimicsPerSeed = 4, Countries = ["CN", "US"], Concepts = 6, Dimensions = 3, Universal = 2, Seed = studySeed, Threads = 2 }),
            study,
            overwrite: false,
            cancellationToken: Ct);
        var run = Path.Combine(_root, "run");
        string[] arguments = [.. Run(study, run), "--shard-size", "4"];
        arguments[Array.IndexOf(arguments, "--workers") + 1] = "1";
        return (run, arguments, Path.Combine(run, "crops", CropSet.ShardFolderName));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string[] Run(string study, string run) =>
        ["run", study, "--out", run, "--epochs", "1", "--batch-size", "8", "--bootstrap", "20", "--replicates", "4", "--workers", "2"];

    [Fact]
    public async Task A_study_runs_to_the_results_a_rerun_skips_everything_and_changed_ratings_redo_aggregate_and_what_reads_it()
    {
        var study = Path.Combine(_root, "study");
        await SyntheticStudyGenerator.GenerateAsync(
            SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 12, MimicsPerSeed = 4, Countries = ["CN", "US"], Concepts = 6, Dimensions = 3, Universal = 2, Seed = 3, Threads = 2 }),
            study,
            overwrite: false,
            cancellationToken: Ct);
        var run = Path.Combine(_root, "run");

        var first = await CliRun.Of(Run(study, run));
        Assert.True(first.ExitCode == 0, first.Error);
        var record = PipelineRecord.TryRead(Path.Combine(run, PipelineRecord.FileName))!;
        Assert.Equal("completed", record.State);
        Assert.Equal(PipelineRunKind.StageNames, record.Stages.Select(s => s.Name));
        Assert.All(record.Stages, s => Assert.Equal("completed", s.Outcome));
        Assert.All(record.Stages, s => Assert.Equal(64, s.Fingerprint.Length));
        Assert.Equal(3, record.Inputs.Count);
        foreach (var file in new[] { "derived/judgments.parquet", "crops/crops.json", "model/model.pt", "predictions/predictions.parquet", "ppca/dimensions.parquet", "gppca/gppca.parquet",
            "morphs/summary.json", "morphs/grid.png", "report.html", "report.json", "figures/training_curve.png", "figures/training_curve.svg" })
        {
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        }

        // The report's last stage compared the run with the generated study's truth (3 planted, 2 universal).
        Assert.Contains($"Report: {Path.Combine(run, "report.html")}", first.Output, StringComparison.Ordinal);
        var report = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(run, "report.json"), Ct))!;
        Assert.Equal((3, 2), (report["recovery"]!["planted"]!.GetValue<int>(), report["recovery"]!["planted_universal"]!.GetValue<int>()));
        var significant = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(run, "ppca", "summary.json"), Ct))!["n_significant"]!.GetValue<int>();
        Assert.Equal(significant > 0, File.Exists(Path.Combine(run, "tsne.parquet")));
        Assert.Equal(significant > 0, File.Exists(Path.Combine(run, "figures", "morphs.png")));

        // `facecluster morph RUN` redoes the pipeline's morph stage on its own cluster: the same faces, byte for byte.
        var stageGrid = await File.ReadAllBytesAsync(Path.Combine(run, "morphs", "grid.png"), Ct);
        var morph = await CliRun.Of("morph", run);
        Assert.True(morph.ExitCode == 0, morph.Error);
        Assert.Contains($"Morphs: {Path.Combine(run, "morphs", "grid.png")}", morph.Output, StringComparison.Ordinal);
        Assert.Equal(stageGrid, await File.ReadAllBytesAsync(Path.Combine(run, "morphs", "grid.png"), Ct));

        // The PPCA stage gives what `analyze ppca` gives on the pipeline's own predictions and judgments.
        var alone = Path.Combine(_root, "alone");
        var analyze = await CliRun.Of(
            "analyze", "ppca", "--x", Path.Combine(run, "predictions", "predictions.parquet"), "--y", Path.Combine(run, "derived", "judgments.parquet"),
            "--out", alone, "--bootstrap", "20", "--replicates", "4", "--in-process");
        Assert.True(analyze.ExitCode == 0, analyze.Error);
        foreach (var table in new[] { "dimensions.parquet", "loadings.parquet", "loading_significance.parquet", "scores.parquet" })
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(alone, table), Ct), await File.ReadAllBytesAsync(Path.Combine(run, "ppca", table), Ct));
        }

        var model = await File.ReadAllBytesAsync(Path.Combine(run, "model", "model.pt"), Ct);
        var again = await CliRun.Of(Run(study, run));
        Assert.True(again.ExitCode == 0, again.Error);
        var second = PipelineRecord.TryRead(Path.Combine(run, PipelineRecord.FileName))!;
        Assert.All(second.Stages, s => Assert.Equal("skipped", s.Outcome));
        Assert.All(second.Stages, s => Assert.Equal(record.RunId + "." + s.Name, s.RunId));

        // One rating changed: aggregate and every stage that reads its tables run again; the crops do not.
        var ratingsPath = Path.Combine(study, "ratings.parquet");
        var ratings = await ParquetTableReader.ReadAllAsync(ratingsPath, Ct);
        var intensity = ratings.FindColumn("intensity")!;
        var values = intensity.Values switch
        {
            double[] d => (Array)d.Select((v, i) => i == 0 ? Math.Max(0, v - 1) : v).ToArray(),
            int[] n => n.Select((v, i) => i == 0 ? (v == 0 ? 1 : v - 1) : v).ToArray(),
            _ => throw new InvalidOperationException("unexpected intensity column"),
        };
        await ParquetTableWriter.WriteAsync(ratingsPath, [.. ratings.Columns.Select(c => c.Name == "intensity" ? new ParquetColumn("intensity", values) : c)], Ct);
        var third = await CliRun.Of(Run(study, run));
        Assert.True(third.ExitCode == 0, third.Error);
        var changed = PipelineRecord.TryRead(Path.Combine(run, PipelineRecord.FileName))!;
        Assert.Equal(
            ["completed", "skipped", "completed", "completed", "completed", "completed", "completed", "completed"],
            changed.Stages.Select(s => s.Outcome));
        Assert.Equal(record.Stages[1].Fingerprint, changed.Stages[1].Fingerprint);
        Assert.NotEqual(record.Stages[0].Fingerprint, changed.Stages[0].Fingerprint);
        Assert.True(File.Exists(Path.Combine(run, "model", "model.pt")));
        Assert.NotEmpty(model);
    }

    [Fact]
    public async Task A_run_whose_client_was_killed_is_resumed_by_the_next_run_without_redoing_its_crop_shards()
    {
        var (run, arguments, shards) = await ShardedRunAsync(studySeed: 4);

        await CliProcess.KillWhenAsync(
            arguments, () => Directory.Exists(shards) && Directory.EnumerateFiles(shards, "crops-*.parquet").Any(), "its first crop shard", Ct);

        var killed = PipelineRecord.TryRead(Path.Combine(run, PipelineRecord.FileName))!;
        Assert.Equal("running", killed.State);
        var interrupted = CropSet.Open(Path.Combine(run, "crops"));
        Assert.False(interrupted.IsComplete, "the crops finished before the client was killed; the test needs more shards");
        var before = interrupted.Shards.ToDictionary(s => s.Path, s => File.GetLastWriteTimeUtc(s.Path));

        var rerun = await CliRun.Of(arguments);
        Assert.True(rerun.ExitCode == 0, rerun.Error);
        Assert.Contains($"resuming run {killed.RunId}", rerun.Error, StringComparison.Ordinal);
        var record = PipelineRecord.TryRead(Path.Combine(run, PipelineRecord.FileName))!;
        Assert.Equal((killed.RunId, "completed"), (record.RunId, record.State));
        Assert.All(record.Stages, s => Assert.Equal("completed", s.Outcome));
        foreach (var (path, written) in before)
        {
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        }

        Assert.True(CropSet.Open(Path.Combine(run, "crops")).IsComplete);
    }

    [Fact]
    public async Task Ctrl_c_stops_a_run_and_the_same_command_resumes_it_without_redoing_its_crop_shards()
    {
        var (run, arguments, shards) = await ShardedRunAsync(studySeed: 6);

        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var error = new StringWriter();
        var first = CliApplication.RunAsync(arguments, new CliContext(new StringWriter(), error), ctrlC.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!(Directory.Exists(shards) && Directory.EnumerateFiles(shards, "crops-*.parquet").Any()))
        {
            Assert.False(first.IsCompleted, error.ToString());
            Assert.True(DateTime.UtcNow < deadline, "no crop shard within 3 minutes");
            await Task.Delay(20, Ct);
        }

        await ctrlC.CancelAsync();
        Assert.Equal(130, await first);
        Assert.Contains("the same command resumes it", error.ToString(), StringComparison.Ordinal);
        var stopped = PipelineRecord.TryRead(Path.Combine(run, PipelineRecord.FileName))!;
        Assert.Equal("running", stopped.State);
        var before = CropSet.Open(Path.Combine(run, "crops")).Shards.ToDictionary(s => s.Path, s => File.GetLastWriteTimeUtc(s.Path));

        var again = await CliRun.Of(arguments);
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains($"resuming run {stopped.RunId}", again.Error, StringComparison.Ordinal);
        Assert.Equal("completed", PipelineRecord.TryRead(Path.Combine(run, PipelineRecord.FileName))!.State);
        foreach (var (path, written) in before)
        {
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        }
    }

    [Fact]
    public async Task The_demo_runs_every_stage_with_only_the_repository()
    {
        // Nothing outside the repository: the MTCNN weights are the ones built into FaceCluster.Vision.
        Assert.Null(Environment.GetEnvironmentVariable(Vision.MtcnnModels.DirectoryVariable));
        var output = Path.Combine(_root, "demo");
        var demo = await CliRun.Of("demo", "--out", output, "--bootstrap", "50", "--replicates", "4");
        Assert.True(demo.ExitCode == 0, demo.Error);
        Assert.Contains("Planted: 28 dimensions (21 universal). Found: ", demo.Output, StringComparison.Ordinal);
        var record = PipelineRecord.TryRead(Path.Combine(output, "run", PipelineRecord.FileName))!;
        Assert.Equal("completed", record.State);
        Assert.All(record.Stages, s => Assert.Equal("completed", s.Outcome));
        using var crops = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "run", "crops", "summary.json"), Ct));
        Assert.True(crops.RootElement.GetProperty("detection_rate").GetDouble() >= 0.95);
    }

    [Fact]
    public async Task A_folder_that_is_no_study_is_refused_with_exit_code_2()
    {
        var result = await CliRun.Of("run", _root, "--out", Path.Combine(_root, "run"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("study.json", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_morph_count_out_of_range_is_refused_before_anything_runs()
    {
        var run = Path.Combine(_root, "run-count");
        var result = await CliRun.Of("run", _root, "--out", run, "--morph-count", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: --morph-count must be 1 to {Learning.Grains.MorphParameters.MaxCount}, got 0", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(run));
    }
}
