using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

/// <summary><c>facecluster report</c> on the output of <c>analyze ppca</c> alone, and on what is no run.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-report-command-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_report_of_a_ppca_folder_names_what_it_leaves_out_and_writes_beside_its_tables()
    {
        var data = PlantedPpcaData.Generate(new PlantedPpcaOptions { Stimuli = 80, Countries = ["CN", "US"], Concepts = 6, Dimensions = 2, Seed = 5 });
        var (x, y) = (Path.Combine(_folder, "x.parquet"), Path.Combine(_folder, "y.parquet"));
        await WideTableWriter.WriteAsync(new WideTable(data.SeedIds, data.Attributes, data.X.Values, "x"), x, Ct);
        await WideTableWriter.WriteAsync(new WideTable(data.SeedIds, data.Attributes, data.Y.Values, "y"), y, Ct);
        var output = Path.Combine(_folder, "ppca");
        var analyze = await CliRun.Of("analyze", "ppca", "--x", x, "--y", y, "--out", output, "--bootstrap", "60", "--replicates", "4", "--in-process");
        Assert.True(analyze.ExitCode == 0, analyze.Error);

        var html = Path.Combine(_folder, "elsewhere", "my-report.html");
        var report = await CliRun.Of("report", output, "--out", html, "--threads", "2");
        Assert.True(report.ExitCode == 0, report.Error);
        Assert.Contains($"Report: {html}", report.Output, StringComparison.Ordinal);
        Assert.Contains("Left out: G-PPCA (dimensions preserved across countries)", report.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(html));
        Assert.True(File.Exists(Path.Combine(output, "figures", "tsne_dnn.svg")));
        Assert.True(File.Exists(Path.Combine(output, "tsne.parquet")));
        Assert.False(File.Exists(Path.Combine(output, "report.html")));
    }

    [Fact]
    public async Task A_folder_that_is_no_run_exits_2_with_one_line()
    {
        var report = await CliRun.Of("report", _folder);
        Assert.Equal(2, report.ExitCode);
        var line = Assert.Single(report.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(_folder, line, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_folder));

        var threads = await CliRun.Of("report", _folder, "--threads", "-1");
        Assert.Equal(2, threads.ExitCode);
        Assert.Contains("--threads", threads.Error, StringComparison.Ordinal);
    }
}
