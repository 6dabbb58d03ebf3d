using System.Text.Json;

namespace FaceCluster.Cli.Tests;

public sealed class StudyGenerateCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-generate-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Generate_tiny_writes_a_study_folder()
    {
        var output = Path.Combine(_folder, "study");
        var run = await CliRun.Of("study", "generate", "--out", output, "--scale", "tiny", "--seeds", "3", "--mimics-per-seed", "6", "--seed", "4");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Generated 3 seeds, 18 mimics, 54 rating events", run.Output, StringComparison.Ordinal);
        Assert.Contains("generate: images: done 21/21", run.Error, StringComparison.Ordinal);
        foreach (var file in new[] { "study.json", "truth.json", "images.parquet", "ratings.parquet", "images/seeds/S00001.jpg", "images/mimics/S00003/S00003-M006.jpg" })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        }

        using var truth = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "truth.json"), TestContext.Current.CancellationToken));
        Assert.Equal(4UL, truth.RootElement.GetProperty("parameters").GetProperty("seed").GetUInt64());
    }

    [Fact]
    public async Task Generate_refuses_an_existing_folder_without_overwrite()
    {
        var output = Path.Combine(_folder, "taken");
        Directory.CreateDirectory(output);

        var refused = await CliRun.Of("study", "generate", "--out", output, "--seeds", "2", "--mimics-per-seed", "6");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("already exists", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));

        var replaced = await CliRun.Of("study", "generate", "--out", output, "--seeds", "2", "--mimics-per-seed", "6", "--overwrite");
        Assert.True(replaced.ExitCode == 0, replaced.Error);
        Assert.True(File.Exists(Path.Combine(output, "study.json")));
    }

    [Theory]
    [InlineData("--countries", "US,XX")]
    [InlineData("--mimics-per-seed", "3")]
    [InlineData("--universal", "40")]
    [InlineData("--scale", "huge")]
    public async Task Generate_refuses_bad_options_with_exit_code_2(string option, string value)
    {
        var run = await CliRun.Of("study", "generate", "--out", Path.Combine(_folder, "bad"), "--seeds", "2", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_folder, "bad")));
    }

    [Fact]
    public async Task Bench_generate_reports_rates_and_the_projected_paper_time()
    {
        var run = await CliRun.Of("bench", "generate", "--scale", "tiny", "--paper-sample", "100");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("tiny", run.Output, StringComparison.Ordinal);
        Assert.Contains("images/s", run.Output, StringComparison.Ordinal);
        Assert.Contains("projected for 4659 seeds + 451923 mimics", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("small ", run.Output, StringComparison.Ordinal);
    }
}
