using System.Globalization;
using System.Text;
using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

/// <summary><c>analyze ppca</c> refuses inputs it would turn into silent NaN or an "unexpected" failure (issue 12).</summary>
public sealed class AnalyzeInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-analyze-inputs-").FullName;
    private readonly PlantedPpcaInput _data = PlantedPpcaData.Generate(new PlantedPpcaOptions
    {
        Stimuli = 40, Countries = ["CN", "US"], Concepts = 4, Dimensions = 2, Seed = 9,
    });

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<CliRun> Ppca(string x, string y, string output) =>
        CliRun.Of("analyze", "ppca", "--x", x, "--y", y, "--out", output, "--bootstrap", "20", "--replicates", "2", "--inner-bootstrap", "10");

    [Theory]
    [InlineData(1e160)]
    [InlineData(1e200)]
    [InlineData(1.7e308)]
    public async Task One_huge_cell_of_x_is_bad_input_naming_file_and_column_and_nothing_is_written(double huge)
    {
        var values = (double[])_data.X.Values.Clone();
        values[(5 * _data.Attributes.Length) + 2] = huge;
        var x = Path.Combine(_folder, "x.parquet");
        var y = Path.Combine(_folder, "y.parquet");
        await WideTableWriter.WriteAsync(new WideTable(_data.SeedIds, _data.Attributes, _data.X.Values, "x"), x, Ct);
        await WideTableWriter.WriteAsync(new WideTable(_data.SeedIds, _data.Attributes, _data.Y.Values, "y"), y, Ct);
        await ParquetTableWriter.WriteAsync(
            x,
            [
                new ParquetColumn(WideTable.SeedIdColumn, _data.SeedIds),
                .. _data.Attributes.Select((a, j) => new ParquetColumn(a, Enumerable.Range(0, _data.SeedIds.Length).Select(i => values[(i * _data.Attributes.Length) + j]).ToArray())),
            ],
            Ct);
        var output = Path.Combine(_folder, "out");

        var run = await Ppca(x, y, output);

        Assert.True(run.ExitCode == 2, run.Error);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"error: {x}: column \"{_data.Attributes[2]}\": values too large for the analysis", line, StringComparison.Ordinal);
        Assert.Contains("row 6", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any());
    }

    [Fact]
    public async Task Tens_of_thousands_of_columns_are_bad_input_at_once()
    {
        const int Columns = 20_000;
        var text = new StringBuilder("seed_id," + string.Join(',', Enumerable.Range(1, Columns).Select(j => $"US:A{j}")) + "\n");
        for (var i = 0; i < 5; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"s{i},").AppendJoin(',', Enumerable.Repeat("0.5", Columns)).Append('\n');
        }

        var x = Path.Combine(_folder, "x.csv");
        var y = Path.Combine(_folder, "y.csv");
        await File.WriteAllTextAsync(x, text.ToString(), Ct);
        await File.WriteAllTextAsync(y, text.ToString(), Ct);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var run = await Ppca(x, y, Path.Combine(_folder, "out"));

        Assert.True(run.ExitCode == 2, run.Error);
        Assert.Equal($"error: {x}: {Columns} attribute columns; the limit is {InputLimits.MaxColumns} (docs/limits.md)", Assert.Single(run.ErrorLines));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_damaged_parquet_page_is_bad_input_naming_the_file()
    {
        var x = Path.Combine(_folder, "x.parquet");
        var y = Path.Combine(_folder, "y.parquet");
        await WideTableWriter.WriteAsync(new WideTable(_data.SeedIds, _data.Attributes, _data.X.Values, "x"), x, Ct);
        await WideTableWriter.WriteAsync(new WideTable(_data.SeedIds, _data.Attributes, _data.Y.Values, "y"), y, Ct);
        var bytes = await File.ReadAllBytesAsync(x, Ct);
        for (var k = 40; k < 400; k++)
        {
            bytes[k] = 0xFF;
        }

        await File.WriteAllBytesAsync(x, bytes, Ct);

        var run = await Ppca(x, y, Path.Combine(_folder, "out"));

        Assert.True(run.ExitCode == 2, run.Error);
        Assert.StartsWith($"error: {x}: not a readable Parquet file (", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }
}
