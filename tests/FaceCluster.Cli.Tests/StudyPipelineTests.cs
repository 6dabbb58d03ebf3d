using System.Text.Json;

namespace FaceCluster.Cli.Tests;

/// <summary>The study pipeline end to end: generate, validate, aggregate, G-PPCA of the judgments.</summary>
public sealed class StudyPipelineTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-pipeline-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public async Task Planted_dimensions_are_recovered_from_the_aggregated_judgments()
    {
        const int Planted = 8;
        var generate = await CliRun.Of("study", "generate", "--out", PathOf("study"), "--seeds", "150", "--mimics-per-seed", "6", "--dims", $"{Planted}", "--universal", "6");
        Assert.True(generate.ExitCode == 0, generate.Error);
        var validate = await CliRun.Of("study", "validate", PathOf("study"));
        Assert.True(validate.ExitCode == 0, validate.Output + validate.Error);
        var aggregate = await CliRun.Of("study", "aggregate", PathOf("study"), "--out", PathOf("derived"));
        Assert.True(aggregate.ExitCode == 0, aggregate.Error);
        var gppca = await CliRun.Of("analyze", "gppca", "--judgments", Path.Combine(PathOf("derived"), "judgments.parquet"), "--out", PathOf("gppca"), "--in-process");
        Assert.True(gppca.ExitCode == 0, gppca.Error);

        using var truth = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(PathOf("study"), "truth.json"), TestContext.Current.CancellationToken));
        var contextFeatures = truth.RootElement.GetProperty("context_features").GetArrayLength();
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(PathOf("gppca"), "summary.json"), TestContext.Current.CancellationToken));
        var preserved = summary.RootElement.GetProperty("n_preserved").GetInt32();

        // Every planted dimension is shared by the six countries; the seeds' context biases raters of
        // every country alike, so it can add at most one preserved dimension per context feature.
        Assert.InRange(preserved, Planted, Planted + contextFeatures);
    }
}
