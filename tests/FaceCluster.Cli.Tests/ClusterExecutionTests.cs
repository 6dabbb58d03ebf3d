using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

public sealed class ClusterExecutionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-cluster-cli-tests-").FullName;
    private readonly PlantedPpcaInput _data = PlantedPpcaData.Generate(new PlantedPpcaOptions
    {
        Stimuli = 90, Countries = ["CN", "US"], Concepts = 6, Dimensions = 2, Seed = 8,
    });

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string PathOf(string name) => Path.Combine(_folder, name);

    private async Task<(string X, string Y)> WriteInputs()
    {
        await WideTableWriter.WriteAsync(new WideTable(_data.SeedIds, _data.Attributes, _data.X.Values, "x"), PathOf("x.parquet"), Ct);
        await WideTableWriter.WriteAsync(new WideTable(_data.SeedIds, _data.Attributes, _data.Y.Values, "y"), PathOf("y.parquet"), Ct);
        return (PathOf("x.parquet"), PathOf("y.parquet"));
    }

    [Fact]
    public async Task Sigterm_stops_an_embedded_analysis_as_ctrl_c_does_and_leaves_no_folder_behind()
    {
        var (x, y) = await WriteInputs();
        var temporary = Directory.CreateDirectory(PathOf("tmp")).FullName;
        var (exitCode, error) = await CliProcess.TerminateWhenAsync(
            ["analyze", "ppca", "--x", x, "--y", y, "--out", PathOf("out"), "--bootstrap", "50", "--replicates", "10000", "--inner-bootstrap", "50"],
            temporary,
            () => Directory.EnumerateFiles(temporary, "replicates-*.parquet", SearchOption.AllDirectories).Any(),
            "a replicate shard in the embedded data root",
            Ct);

        Assert.True(exitCode == 130, error);
        Assert.Contains("cancelled", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
        Assert.False(Directory.Exists(PathOf("out")));
    }

    [Fact]
    public async Task The_embedded_cluster_and_one_process_write_the_same_tables()
    {
        var (x, y) = await WriteInputs();
        string[] common = ["--bootstrap", "50", "--replicates", "6", "--inner-bootstrap", "20", "--threads", "2"];
        var cluster = await CliRun.Of(["analyze", "ppca", "--x", x, "--y", y, "--out", PathOf("cluster"), "--data-root", PathOf("root"), .. common]);
        var local = await CliRun.Of(["analyze", "ppca", "--x", x, "--y", y, "--out", PathOf("local"), "--in-process", .. common]);

        Assert.True(cluster.ExitCode == 0, cluster.Error);
        Assert.True(local.ExitCode == 0, local.Error);
        Assert.Equal(local.Output.Replace(PathOf("local"), "DIR", StringComparison.Ordinal), cluster.Output.Replace(PathOf("cluster"), "DIR", StringComparison.Ordinal));
        foreach (var table in new[] { "dimensions.parquet", "loadings.parquet", "loading_significance.parquet", "scores.parquet", "dimension_scores.parquet", "meanings.parquet" })
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(PathOf("local"), table), Ct), await File.ReadAllBytesAsync(Path.Combine(PathOf("cluster"), table), Ct));
        }

        // The data root was given, so it keeps the run: request, shards and persisted grain state.
        var run = Assert.Single(Directory.GetDirectories(Path.Combine(PathOf("root"), "runs")));
        Assert.True(File.Exists(Path.Combine(run, "request.json")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(run, "shards"), "replicates-*.parquet"));
        Assert.True(Directory.Exists(Path.Combine(PathOf("root"), "grain-state")));

        var gppcaCluster = await CliRun.Of("analyze", "gppca", "--judgments", y, "--out", PathOf("gppca-cluster"));
        var gppcaLocal = await CliRun.Of("analyze", "gppca", "--judgments", y, "--out", PathOf("gppca-local"), "--in-process");
        Assert.True(gppcaCluster.ExitCode == 0, gppcaCluster.Error);
        Assert.Equal(0, gppcaLocal.ExitCode);
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(PathOf("gppca-local"), "gppca.parquet"), Ct),
            await File.ReadAllBytesAsync(Path.Combine(PathOf("gppca-cluster"), "gppca.parquet"), Ct));
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(PathOf("gppca-local"), "gppca_loadings.parquet"), Ct),
            await File.ReadAllBytesAsync(Path.Combine(PathOf("gppca-cluster"), "gppca_loadings.parquet"), Ct));
    }

    [Fact]
    public async Task Ctrl_c_stops_an_analysis_in_a_data_root_and_the_same_command_resumes_it_without_redoing_shards()
    {
        var (x, y) = await WriteInputs();
        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var root = PathOf("root");
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] arguments = ["analyze", "ppca", "--x", x, "--y", y, "--out", PathOf("out"), "--data-root", root, "--bootstrap", "50", "--replicates", "400", "--inner-bootstrap", "50"];
        var run = CliApplication.RunAsync(arguments, new CliContext(output, error), ctrlC.Token);

        // Ctrl+C once replicates are being computed.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Directory.Exists(Path.Combine(root, "runs")) || !Directory.EnumerateFiles(root, "replicates-*.parquet", SearchOption.AllDirectories).Any())
        {
            Assert.True(DateTime.UtcNow < deadline, "no replicate shard appeared");
            Assert.False(run.IsCompleted, error.ToString());
            await Task.Delay(20, Ct);
        }

        await ctrlC.CancelAsync();
        Assert.Equal(130, await run);
        Assert.Contains("the same command resumes it", error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(PathOf("out")));
        var runFolder = Assert.Single(Directory.GetDirectories(Path.Combine(root, "runs")));
        var before = Directory.GetFiles(Path.Combine(runFolder, "shards"), "*.parquet").ToDictionary(f => f, File.GetLastWriteTimeUtc);

        var again = await CliRun.Of(arguments);
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains($"resuming run {Path.GetFileName(runFolder)}", again.Error, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Path.Combine(root, "runs")));
        Assert.True(File.Exists(Path.Combine(PathOf("out"), "dimensions.parquet")));
        foreach (var (shard, written) in before)
        {
            Assert.Equal(written, File.GetLastWriteTimeUtc(shard));
        }
    }
}
