namespace FaceCluster.Cli.Tests;

/// <summary>
/// <c>facecluster morph</c> on what is no pipeline's output folder (its run on one is in <see cref="PipelineCommandTests"/>),
/// and <c>facecluster bench morph</c> at a tiny size.
/// </summary>
public sealed class MorphCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-morph-command-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_folder_that_is_no_run_exits_2_with_one_line()
    {
        var morph = await CliRun.Of("morph", _folder);
        Assert.Equal(2, morph.ExitCode);
        var line = Assert.Single(morph.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(_folder, line, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_folder));

        var count = await CliRun.Of("morph", Path.Combine(_folder, "missing"), "--count", "0");
        Assert.Equal(2, count.ExitCode);
        Assert.Single(count.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Bench_morph_times_the_morph_stage_of_a_generated_run_and_removes_it()
    {
        var run = await CliRun.Of("bench", "morph", "--seeds", "120", "--dimensions", "3", "--mimics-per-country", "2", "--faces", "12");

        Assert.True(run.ExitCode == 0, run.Error);
        var generated = Assert.Single(run.Output.Split('\n'), l => l.StartsWith("Generated a run of ", StringComparison.Ordinal));
        Assert.Contains("120 seeds x 288 attributes with 3 planted dimensions", generated, StringComparison.Ordinal);
        Assert.Contains("a study of 1560 images (2 mimics per seed per country)", generated, StringComparison.Ordinal);
        Assert.Matches(@"The crop set holds only the [0-9]+ mimics the morph plan wants \(of 1440; the others are left out", run.Output);
        Assert.Matches(@"Morph run: [0-9.]+ s end to end \(target at most 300 s: [0-9.]+ of it\); [0-9]+ dimensions x 6 countries, [0-9]+ morphs of [0-9]+ faces \([0-9.]+ per morph from [0-9.]+ seeds per dimension\), 0 without landmarks, 0 without a crop\.", run.Output);
        Assert.Matches(@"Sums over [0-9]+ ranges: read_crops [0-9.]+ s, landmarks [0-9.]+ s, compose [0-9.]+ s; grid stage [0-9.]+ s; landmarks [0-9.]+ faces/s within a range", run.Output);
        Assert.Matches(@"[0-9]+ cores, --workers 0, load average ", run.Output);

        // The generated run lay in a temporary folder, which is gone.
        var folder = System.Text.RegularExpressions.Regex.Match(generated, @"\(([^()]+)\)\.$").Groups[1].Value;
        Assert.EndsWith("run", folder, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder), folder);
    }

    [Fact]
    public async Task Bench_morph_refuses_a_bad_option_with_one_line()
    {
        var seeds = await CliRun.Of("bench", "morph", "--seeds", "50");
        Assert.Equal(2, seeds.ExitCode);
        Assert.Contains("--seeds must be at least 100", Assert.Single(seeds.ErrorLines), StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(_folder, "keep.txt"), "not generated", TestContext.Current.CancellationToken);
        var folder = await CliRun.Of("bench", "morph", "--seeds", "120", "--folder", _folder);
        Assert.Equal(2, folder.ExitCode);
        Assert.Contains("is not empty", Assert.Single(folder.ErrorLines), StringComparison.Ordinal);
        Assert.Single(Directory.GetFileSystemEntries(_folder));
    }
}
