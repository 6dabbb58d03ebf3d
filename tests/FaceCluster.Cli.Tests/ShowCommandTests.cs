using System.Text.Json;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

public sealed class ShowCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-cli-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> Table(int rows = 3)
    {
        var path = Path.Combine(_folder, "dimensions.parquet");
        string?[] labels = ["plain", "with,comma", null, "quote\"d"];
        double[] values = [0.1, double.NaN, double.PositiveInfinity, double.NegativeInfinity];
        await ParquetTableWriter.WriteAsync(
            path,
            [
                new ParquetColumn("dimension", Enumerable.Range(1, rows).ToArray()),
                new ParquetColumn("label", Enumerable.Range(0, rows).Select(i => labels[i % 4]).ToArray()),
                new ParquetColumn("r", Enumerable.Range(0, rows).Select(i => values[i % 4]).ToArray()),
                new ParquetColumn("q", Enumerable.Range(0, rows).Select(i => i == 1 ? null : (double?)(1.0 / 3)).ToArray()),
                new ParquetColumn("significant", Enumerable.Range(0, rows).Select(i => i == 0).ToArray()),
            ],
            Ct);
        return path;
    }

    [Fact]
    public async Task Csv_is_rfc4180_with_round_trip_numbers()
    {
        var run = await CliRun.Of("show", await Table(4), "--format", "csv");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(string.Empty, run.Error);
        Assert.Equal(
            "dimension,label,r,q,significant\r\n" +
            "1,plain,0.1,0.3333333333333333,true\r\n" +
            "2,\"with,comma\",NaN,,false\r\n" +
            "3,,Infinity,0.3333333333333333,false\r\n" +
            "4,\"quote\"\"d\",-Infinity,0.3333333333333333,false\r\n",
            run.Output);
    }

    [Fact]
    public async Task Json_is_an_array_of_objects_with_non_finite_numbers_as_strings()
    {
        var run = await CliRun.Of("show", await Table(4), "--format", "json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(string.Empty, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        var rows = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(4, rows.Length);
        Assert.Equal(["dimension", "label", "r", "q", "significant"], rows[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, rows[0].GetProperty("dimension").GetInt32());
        Assert.Equal(0.1, rows[0].GetProperty("r").GetDouble());
        Assert.Equal(1.0 / 3, rows[0].GetProperty("q").GetDouble());
        Assert.True(rows[0].GetProperty("significant").GetBoolean());
        Assert.Equal("with,comma", rows[1].GetProperty("label").GetString());
        Assert.Equal("NaN", rows[1].GetProperty("r").GetString());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("q").ValueKind);
        Assert.Equal(JsonValueKind.Null, rows[2].GetProperty("label").ValueKind);
        Assert.Equal("Infinity", rows[2].GetProperty("r").GetString());
        Assert.Equal("-Infinity", rows[3].GetProperty("r").GetString());
    }

    [Fact]
    public async Task Table_is_the_default_format()
    {
        var run = await CliRun.Of("show", await Table(4));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(string.Empty, run.Error);
        var lines = run.Output.Split('\n');
        var header = Assert.Single(lines, l => l.Contains("dimension", StringComparison.Ordinal));
        foreach (var name in new[] { "label", "r", "q", "significant" })
        {
            Assert.Contains(name, header, StringComparison.Ordinal);
        }

        var third = Assert.Single(lines, l => l.Contains("Infinity", StringComparison.Ordinal) && !l.Contains("-Infinity", StringComparison.Ordinal));
        Assert.Contains("null", third, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("with,comma", StringComparison.Ordinal) && l.Contains("NaN", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("0.3333333333333333", StringComparison.Ordinal));
        Assert.DoesNotContain("\u001b[", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("not shown", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_shows_fifty_rows_by_default_and_says_how_many_were_left_out()
    {
        var run = await CliRun.Of("show", await Table(120));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(" 50 ", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" 51 ", run.Output, StringComparison.Ordinal);
        Assert.Contains("70 of 120 rows not shown", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csv_prints_every_row_unless_limited_and_notes_on_stderr()
    {
        var path = await Table(120);

        var all = await CliRun.Of("show", path, "--format", "csv");
        var some = await CliRun.Of("show", path, "-f", "csv", "--limit", "2", "--columns", "r, dimension");

        Assert.Equal(121, all.Output.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(string.Empty, all.Error);
        Assert.Equal("r,dimension\r\n0.1,1\r\nNaN,2\r\n", some.Output);
        Assert.Equal("118 of 120 rows not shown; use --limit to show more.", some.Error.Trim());
    }

    [Fact]
    public async Task Json_with_limit_zero_is_an_empty_array()
    {
        var run = await CliRun.Of("show", await Table(), "--format", "json", "--limit", "0");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("[]", run.Output.Trim());
    }

    [Fact]
    public async Task Unknown_column_is_bad_input()
    {
        var path = await Table();
        var run = await CliRun.Of("show", path, "--columns", "r,nope");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Output);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"error: {path}: no column \"nope\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Corrupt_file_gives_exit_code_2_and_one_error_line()
    {
        var path = Path.Combine(_folder, "noise.parquet");
        var bytes = new byte[2048];
        new Random(11).NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes, Ct);

        var run = await CliRun.Of("show", path);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Output);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"error: {path}: not a readable Parquet file (", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_file_gives_exit_code_2_and_one_error_line()
    {
        var run = await CliRun.Of("show", Path.Combine(_folder, "absent.parquet"));

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Contains("file not found", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("show", "x.parquet", "--format", "xml")]
    [InlineData("show", "x.parquet", "--limit", "-1")]
    [InlineData("show", "x.parquet", "--limit", "many")]
    [InlineData("show")]
    [InlineData("show", "x.parquet", "--bogus")]
    [InlineData("nosuchcommand")]
    [InlineData]
    public async Task Usage_errors_give_exit_code_2_and_one_error_line(params string[] args)
    {
        var run = await CliRun.Of(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Output);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("--help", line, StringComparison.Ordinal);
    }
}
