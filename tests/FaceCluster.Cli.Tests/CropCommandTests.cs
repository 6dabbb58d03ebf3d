using FaceCluster.Studies.Crops;
using FaceCluster.Synthetic;

namespace FaceCluster.Cli.Tests;

public sealed class CropCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-crop-cli-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Crop_writes_a_complete_crop_folder_and_a_rerun_keeps_its_shards()
    {
        var study = Path.Combine(_root, "study");
        await SyntheticStudyGenerator.GenerateAsync(
            SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 2, MimicsPerSeed = 6, Seed = 5, Threads = 2 }), study, overwrite: false, cancellationToken: Ct);
        var output = Path.Combine(_root, "crops");

        var run = await CliRun.Of("crop", study, "--out", output, "--shard-size", "5", "--workers", "2");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("of 14 images", run.Output, StringComparison.Ordinal);
        var set = CropSet.Open(output);
        Assert.True(set.IsComplete);
        Assert.Equal(3, set.Shards.Count);
        Assert.Equal(5, set.Manifest.ShardSize);
        Assert.True(File.Exists(Path.Combine(output, "summary.json")));
        var written = set.Shards.Select(s => File.GetLastWriteTimeUtc(s.Path)).ToArray();

        var again = await CliRun.Of("crop", study, "--out", output, "--shard-size", "5");

        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal(written, CropSet.Open(output).Shards.Select(s => File.GetLastWriteTimeUtc(s.Path)));
    }

    [Fact]
    public async Task A_crop_process_killed_mid_run_is_resumed_by_the_next_run_without_redoing_its_shards()
    {
        var study = Path.Combine(_root, "study");
        await SyntheticStudyGenerator.GenerateAsync(
            SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 3, MimicsPerSeed = 9, Seed = 8, Threads = 2 }), study, overwrite: false, cancellationToken: Ct);
        var output = Path.Combine(_root, "crops");
        var shards = Path.Combine(output, CropSet.ShardFolderName);

        await CliProcess.KillWhenAsync(
            ["crop", study, "--out", output, "--shard-size", "4", "--workers", "1"],
            () => Directory.Exists(shards) && Directory.EnumerateFiles(shards, "crops-*.parquet").Any(),
            "its first shard",
            Ct);

        var interrupted = CropSet.Open(output);
        Assert.False(interrupted.IsComplete, $"the run finished before it was killed ({interrupted.Shards.Count} shards); the test needs more shards");
        var before = interrupted.Shards.ToDictionary(s => s.Path, s => File.GetLastWriteTimeUtc(s.Path));

        var rerun = await CliRun.Of("crop", study, "--out", output, "--shard-size", "4");

        Assert.True(rerun.ExitCode == 0, rerun.Error);
        var complete = CropSet.Open(output);
        Assert.True(complete.IsComplete);
        Assert.Equal(8, complete.Shards.Count);
        Assert.All(before, shard => Assert.Equal(shard.Value, File.GetLastWriteTimeUtc(shard.Key)));
    }

    [Fact]
    public async Task A_folder_that_is_not_a_study_is_one_error_line()
    {
        var run = await CliRun.Of("crop", _root, "--out", Path.Combine(_root, "crops"));

        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.Contains("study.json", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_settings_are_refused_before_any_work()
    {
        var run = await CliRun.Of("crop", _root, "--out", Path.Combine(_root, "crops"), "--shard-size", "0");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("shard size", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "crops")));
    }
}
