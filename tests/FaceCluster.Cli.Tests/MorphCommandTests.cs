namespace FaceCluster.Cli.Tests;

/// <summary><c>facecluster morph</c> on what is no pipeline's output folder (its run on one is in <see cref="PipelineCommandTests"/>).</summary>
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
}
