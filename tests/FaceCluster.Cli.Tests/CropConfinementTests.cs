using FaceCluster.Studies.Crops;
using FaceCluster.Synthetic;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

/// <summary>Crop opens no file outside the study folder and decodes no image over the limits (issue 12).</summary>
public sealed class CropConfinementTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-crop-confine-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<string> StudyAsync()
    {
        var study = Path.Combine(_root, "study");
        await SyntheticStudyGenerator.GenerateAsync(
            SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 1, MimicsPerSeed = 6, Seed = 3, Threads = 1 }), study, overwrite: false, cancellationToken: Ct);
        return study;
    }

    /// <summary>Sets the <c>path</c> of data row <paramref name="row"/> (1-based) of the study's images.parquet.</summary>
    private static async Task SetPathAsync(string study, int row, string path)
    {
        var file = Path.Combine(study, "images.parquet");
        var table = await ParquetTableReader.ReadAllAsync(file, Ct);
        var paths = (string?[])table.FindColumn("path")!.Values;
        paths[row - 1] = path;
        await ParquetTableWriter.WriteAsync(file, table.Columns, Ct);
    }

    [Theory]
    [InlineData("absolute")]
    [InlineData("parent")]
    [InlineData("symlink")]
    public async Task A_path_leaving_the_study_folder_is_refused_and_no_shard_is_written(string trick)
    {
        var study = await StudyAsync();
        var first = (string?[])(await ParquetTableReader.ReadAllAsync(Path.Combine(study, "images.parquet"), Ct)).FindColumn("path")!.Values;
        var outside = Path.Combine(_root, "outside.png");
        File.Copy(Path.Combine(study, first[0]!), outside);
        var path = trick switch
        {
            "absolute" => outside,
            "parent" => "../outside.png",
            _ => "images/escape.png",
        };
        if (trick == "symlink")
        {
            File.CreateSymbolicLink(Path.Combine(study, "images", "escape.png"), outside);
        }

        await SetPathAsync(study, 3, path);
        var output = Path.Combine(_root, "crops");

        var run = await CliRun.Of("crop", study, "--out", output, "--shard-size", "2");

        Assert.True(run.ExitCode == 2, run.Error);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains("images.parquet: row 3, column \"path\": ", line, StringComparison.Ordinal);
        Assert.Contains(
            trick switch { "absolute" => "is absolute", "parent" => "contains \"..\"", _ => "leaves the study folder through a symbolic link" },
            line,
            StringComparison.Ordinal);
        var shards = Path.Combine(output, CropSet.ShardFolderName);
        Assert.False(Directory.Exists(shards) && Directory.EnumerateFiles(shards, "*.parquet").Any(), "a shard was written");
    }

    [Fact]
    public async Task An_image_over_the_size_limit_is_recorded_too_large_without_decoding()
    {
        var study = await StudyAsync();
        await File.WriteAllBytesAsync(Path.Combine(study, "images", "huge.png"), Studies.Tests.StudyFolderBuilder.HeaderOnlyPng(16_000, 16_000), Ct);
        await SetPathAsync(study, 2, "images/huge.png");
        var output = Path.Combine(_root, "crops");

        // --max-megapixels above the hard limit: the hard limit (100 MP) still holds.
        var run = await CliRun.Of("crop", study, "--out", output, "--max-megapixels", "1000");

        Assert.True(run.ExitCode == 0, run.Error);
        var records = await CropSet.Open(output).ReadAllAsync(Ct).ToListAsync(Ct);
        var huge = records[1];
        Assert.Equal("too_large", huge.Status);
        Assert.Contains("16000 x 16000", huge.Reason, StringComparison.Ordinal);
    }
}
