using System.Globalization;
using System.Text;
using System.Text.Json;
using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-analyze-tests-").FullName;
    private readonly PlantedPpcaInput _data = PlantedPpcaData.Generate(new PlantedPpcaOptions
    {
        Stimuli = 80, Countries = ["CN", "US"], Concepts = 6, Dimensions = 2, Seed = 5,
    });

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string PathOf(string name) => Path.Combine(_folder, name);

    private async Task<(string X, string Y)> WriteInputs(string extension = ".parquet")
    {
        var x = PathOf("x" + extension);
        var y = PathOf("y" + extension);
        await WideTableWriter.WriteAsync(new WideTable(_data.SeedIds, _data.Attributes, _data.X.Values, "x"), x, Ct);
        await WideTableWriter.WriteAsync(new WideTable(_data.SeedIds, _data.Attributes, _data.Y.Values, "y"), y, Ct);
        return (x, y);
    }

    /// <summary>analyze ppca with small defaults that <paramref name="extra"/> may override.</summary>
    private static Task<CliRun> Ppca(string x, string y, string output, params string[] extra)
    {
        List<string> args = ["analyze", "ppca", "--x", x, "--y", y, "--out", output, .. extra];
        foreach (var (option, value) in new[] { ("--bootstrap", "60"), ("--replicates", "4"), ("--inner-bootstrap", "30") })
        {
            if (!extra.Contains(option))
            {
                args.AddRange([option, value]);
            }
        }

        return CliRun.Of([.. args]);
    }

    [Fact]
    public async Task Ppca_writes_every_output_of_the_format_spec()
    {
        var (x, y) = await WriteInputs();
        var output = PathOf("out");
        var run = await Ppca(x, y, output);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("2 of 12 tested dimensions significant (A, B)", run.Output);
        Assert.Equal(
            ["dimension_scores.parquet", "dimensions.parquet", "loading_significance.parquet", "loadings.parquet", "meanings.parquet", "scores.parquet", "summary.json"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var dimensions = ParquetTableReader.ReadAll(Path.Combine(output, "dimensions.parquet"));
        Assert.Equal(
            ["dimension", "eigenvalue", "r", "p", "q_bh", "sd", "snr", "bh", "forward_stop", "snr_pass", "significant"],
            dimensions.Columns.Select(c => c.Name));
        Assert.Equal(12, dimensions.RowCount);
        Assert.Equal([true, true, false], ((bool[])dimensions.FindColumn("significant")!.Values)[..3]);

        var loadings = ParquetTableReader.ReadAll(Path.Combine(output, "loadings.parquet"));
        Assert.Equal(["attribute", "A", "B"], loadings.Columns.Select(c => c.Name));
        Assert.Equal(_data.Attributes, (string[])loadings.Columns[0].Values);

        var significance = ParquetTableReader.ReadAll(Path.Combine(output, "loading_significance.parquet"));
        Assert.Equal(["dimension", "n", "attribute", "loading", "p", "significant", "n_significant"], significance.Columns.Select(c => c.Name));
        Assert.Equal(2 * 12, significance.RowCount);

        var scores = ParquetTableReader.ReadAll(Path.Combine(output, "scores.parquet"));
        Assert.Equal(["seed_id", .. Enumerable.Range(1, 12).Select(j => $"x_{j}"), .. Enumerable.Range(1, 12).Select(j => $"y_{j}")], scores.Columns.Select(c => c.Name));
        Assert.Equal(80, scores.RowCount);

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json"), Ct));
        var root = summary.RootElement;
        Assert.Equal(2, root.GetProperty("n_significant").GetInt32());
        Assert.Equal(60, root.GetProperty("parameters").GetProperty("bootstrap").GetInt32());
        Assert.Equal(30, root.GetProperty("parameters").GetProperty("inner_bootstrap").GetInt32());
        Assert.Equal(1UL, root.GetProperty("parameters").GetProperty("seed").GetUInt64());
        Assert.Contains("xoshiro256**", root.GetProperty("random_generator").GetString(), StringComparison.Ordinal);
        var preservation = root.GetProperty("preservation");
        Assert.InRange(preservation.GetProperty("r").GetDouble(), 0.5, 1.0);
        Assert.Equal(["CN", "US"], preservation.GetProperty("per_country").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["A", "B"], preservation.GetProperty("per_dimension").EnumerateObject().Select(p => p.Name));
        Assert.True(root.GetProperty("timings_seconds").TryGetProperty("leave_one_out", out _));

        var interpretation = root.GetProperty("interpretation");
        Assert.Equal(0.6, interpretation.GetProperty("shared_threshold").GetDouble());
        Assert.Equal(["A", "B"], interpretation.GetProperty("dimensions").EnumerateObject().Select(p => p.Name));
        var meanings = ParquetTableReader.ReadAll(Path.Combine(output, "meanings.parquet"));
        Assert.Equal(2 * 2, meanings.RowCount);
    }

    [Fact]
    public async Task Same_seed_gives_byte_identical_tables_on_any_thread_count_and_from_csv()
    {
        var (x, y) = await WriteInputs();
        var (xc, yc) = await WriteInputs(".csv");
        Assert.Equal(0, (await Ppca(x, y, PathOf("one"), "--threads", "1")).ExitCode);
        Assert.Equal(0, (await Ppca(x, y, PathOf("two"), "--threads", "2")).ExitCode);
        Assert.Equal(0, (await Ppca(xc, yc, PathOf("csv"))).ExitCode);
        Assert.Equal(0, (await Ppca(x, y, PathOf("other-seed"), "--seed", "2")).ExitCode);
        foreach (var file in PpcaTables)
        {
            var one = await File.ReadAllBytesAsync(Path.Combine(PathOf("one"), file), Ct);
            Assert.Equal(one, await File.ReadAllBytesAsync(Path.Combine(PathOf("two"), file), Ct));
            Assert.Equal(one, await File.ReadAllBytesAsync(Path.Combine(PathOf("csv"), file), Ct));
        }

        Assert.NotEqual(
            await File.ReadAllBytesAsync(Path.Combine(PathOf("one"), "dimensions.parquet"), Ct),
            await File.ReadAllBytesAsync(Path.Combine(PathOf("other-seed"), "dimensions.parquet"), Ct));
    }

    private static readonly string[] PpcaTables = ["dimensions.parquet", "loadings.parquet", "loading_significance.parquet", "scores.parquet"];

    [Fact]
    public async Task Y_is_matched_to_x_by_seed_id_and_attribute_name()
    {
        var (x, y) = await WriteInputs();
        var order = Enumerable.Range(0, 80).Reverse().ToArray();
        var columns = Enumerable.Range(0, 12).Reverse().ToArray();
        var shuffled = new double[80 * 12];
        for (var i = 0; i < 80; i++)
        {
            for (var j = 0; j < 12; j++)
            {
                shuffled[(i * 12) + j] = _data.Y[order[i], columns[j]];
            }
        }

        var yShuffled = PathOf("y-shuffled.parquet");
        await WideTableWriter.WriteAsync(
            new WideTable(order.Select(i => _data.SeedIds[i]).ToArray(), columns.Select(j => _data.Attributes[j]).ToArray(), shuffled, "y"), yShuffled, Ct);
        Assert.Equal(0, (await Ppca(x, y, PathOf("plain"), "--replicates", "0")).ExitCode);
        Assert.Equal(0, (await Ppca(x, yShuffled, PathOf("shuffled"), "--replicates", "0")).ExitCode);
        foreach (var file in PpcaTables)
        {
            Assert.Equal(
                await File.ReadAllBytesAsync(Path.Combine(PathOf("plain"), file), Ct),
                await File.ReadAllBytesAsync(Path.Combine(PathOf("shuffled"), file), Ct));
        }
    }

    public static TheoryData<string, string, string> BadInputs => new()
    {
        { "missing-seed", "y.csv", "seed99" },
        { "other-attributes", "y.csv", "US:Concept06" },
        { "nan", "x.csv", "row 2" },
        { "infinity", "x.csv", "row 3" },
        { "text", "x.csv", "\"abc\"" },
        { "duplicate-seed", "x.csv", "seed00001" },
        { "two-rows", "x.csv", "3" },
        { "truncated", "x.parquet", "x.parquet" },
        { "extension", "x.txt", ".txt" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_one_line_naming_the_file_exit_2_and_no_output(string problem, string file, string named)
    {
        var (x, y) = await WriteInputs(".csv");
        var lines = (await File.ReadAllLinesAsync(x, Ct)).ToList();
        var yLines = (await File.ReadAllLinesAsync(y, Ct)).ToList();
        switch (problem)
        {
            case "missing-seed":
                yLines[1] = "seed99" + yLines[1][yLines[1].IndexOf(',', StringComparison.Ordinal)..];
                break;
            case "other-attributes":
                yLines[0] = yLines[0].Replace("US:Concept06", "US:Other", StringComparison.Ordinal);
                break;
            case "nan":
                lines[2] = ReplaceCell(lines[2], 3, "NaN");
                break;
            case "infinity":
                lines[3] = ReplaceCell(lines[3], 1, "Infinity");
                break;
            case "text":
                lines[4] = ReplaceCell(lines[4], 2, "abc");
                break;
            case "duplicate-seed":
                lines[5] = ReplaceCell(lines[5], 0, "seed00001");
                break;
            case "two-rows":
                lines = lines.Take(3).ToList();
                break;
        }

        await File.WriteAllLinesAsync(x, lines, Ct);
        await File.WriteAllLinesAsync(y, yLines, Ct);
        var xArgument = x;
        if (problem == "truncated")
        {
            var (xp, _) = await WriteInputs();
            var bytes = await File.ReadAllBytesAsync(xp, Ct);
            await File.WriteAllBytesAsync(xp, bytes[..(bytes.Length / 2)], Ct);
            xArgument = xp;
        }
        else if (problem == "extension")
        {
            xArgument = PathOf("x.txt");
            File.Copy(x, xArgument);
        }

        var output = PathOf("out");
        var run = await Ppca(xArgument, y, output);
        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(file, line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.GetDirectories(_folder));
    }

    private static string ReplaceCell(string line, int index, string value)
    {
        var cells = line.Split(',');
        cells[index] = value;
        return string.Join(',', cells);
    }

    [Fact]
    public async Task Bad_parameters_and_an_existing_output_are_refused_before_any_work()
    {
        var (x, y) = await WriteInputs();
        var bootstrap = await CliRun.Of("analyze", "ppca", "--x", x, "--y", y, "--out", PathOf("out"), "--bootstrap", "1");
        Assert.Equal(2, bootstrap.ExitCode);
        Assert.Contains("bootstrap must be 2 to", Assert.Single(bootstrap.ErrorLines), StringComparison.Ordinal);

        Directory.CreateDirectory(PathOf("existing"));
        await File.WriteAllTextAsync(Path.Combine(PathOf("existing"), "keep.txt"), "precious", Ct);
        var existing = await Ppca(x, y, PathOf("existing"));
        Assert.Equal(2, existing.ExitCode);
        Assert.Contains("--overwrite", Assert.Single(existing.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("precious", await File.ReadAllTextAsync(Path.Combine(PathOf("existing"), "keep.txt"), Ct));

        var overwritten = await Ppca(x, y, PathOf("existing"), "--overwrite", "--replicates", "0");
        Assert.Equal(0, overwritten.ExitCode);
        Assert.False(File.Exists(Path.Combine(PathOf("existing"), "keep.txt")));
    }

    [Fact]
    public async Task Gppca_writes_pairwise_tests_and_preserved_dimensions()
    {
        var judgments = PlantedPpcaData.Generate(new PlantedPpcaOptions
        {
            Stimuli = 150, Countries = ["CN", "ET", "US"], Concepts = 8, Dimensions = 3, CountryVariation = 0, Seed = 2,
        });
        var path = PathOf("judgments.parquet");
        await WideTableWriter.WriteAsync(new WideTable(judgments.SeedIds, judgments.Attributes, judgments.Y.Values, "j"), path, Ct);
        var run = await CliRun.Of("analyze", "gppca", "--judgments", path, "--out", PathOf("gppca"));

        Assert.True(run.ExitCode == 0, run.Error);
        var table = ParquetTableReader.ReadAll(Path.Combine(PathOf("gppca"), "gppca.parquet"));
        Assert.Equal(
            ["dimension", "eigenvalue", "r_CN_ET", "p_CN_ET", "q_CN_ET", "r_CN_US", "p_CN_US", "q_CN_US", "r_ET_US", "p_ET_US", "q_ET_US", "preserved"],
            table.Columns.Select(c => c.Name));
        Assert.Equal(8, table.RowCount);
        var preserved = (bool[])table.FindColumn("preserved")!.Values;
        Assert.Equal([true, true, true], preserved[..3]);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(PathOf("gppca"), "summary.json"), Ct));
        Assert.Equal(preserved.Count(p => p), summary.RootElement.GetProperty("n_preserved").GetInt32());
        Assert.Contains($"{preserved.Count(p => p)} of 8 dimensions preserved", run.Output, StringComparison.Ordinal);

        // The preserved dimensions can be read: their loadings by concept, and their top concepts in summary.json.
        var loadings = ParquetTableReader.ReadAll(Path.Combine(PathOf("gppca"), "gppca_loadings.parquet"));
        string[] preservedNames = [.. Enumerable.Range(0, 8).Where(j => preserved[j]).Select(j => $"G{j + 1}")];
        Assert.Equal(["concept", .. preservedNames], loadings.Columns.Select(c => c.Name));
        Assert.Equal(judgments.Attributes.Take(8).Select(a => a.Split(':')[1]), (string[])loadings.FindColumn("concept")!.Values);
        var meanings = summary.RootElement.GetProperty("preserved_meanings");
        Assert.Equal(preservedNames.Length, meanings.GetArrayLength());
        foreach (var (meaning, name) in meanings.EnumerateArray().Zip(preservedNames))
        {
            var column = (double[])loadings.FindColumn(name)!.Values;
            Assert.Equal(name, meaning.GetProperty("dimension").GetString());
            var top = meaning.GetProperty("top_concepts");
            Assert.Equal(3, top.GetArrayLength());
            var best = Array.IndexOf(column, column.Max());
            Assert.Equal(((string[])loadings.FindColumn("concept")!.Values)[best], top[0].GetProperty("concept").GetString());
            Assert.Equal(column.Max(), top[0].GetProperty("loading").GetDouble());
            Assert.True(column.Max() >= Math.Abs(column.Min()), $"{name} is not oriented with its largest entry positive");
        }
    }

    [Fact]
    public async Task Gppca_refuses_columns_that_are_not_a_country_concept_grid()
    {
        var (x, _) = await WriteInputs(".csv");
        var lines = await File.ReadAllLinesAsync(x, Ct);
        lines[0] = lines[0].Replace("US:Concept03", "Concept03", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(x, lines, Ct);
        var run = await CliRun.Of("analyze", "gppca", "--judgments", x, "--out", PathOf("gppca"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("x.csv", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(PathOf("gppca")));
    }

    [Fact]
    public async Task Bench_compares_fast_and_naive_leave_one_out()
    {
        var run = await CliRun.Of("bench", "ppca", "--n", "60", "--p", "12", "--naive-folds", "5", "--bootstrap", "20");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("leave-one-out, fast", run.Output, StringComparison.Ordinal);
        Assert.Contains("x faster", run.Output, StringComparison.Ordinal);
        var difference = run.Output.Split('\n').Single(l => l.StartsWith("fast vs naive", StringComparison.Ordinal));
        var relative = double.Parse(difference.Split("timed folds ")[1].Split(' ')[0], CultureInfo.InvariantCulture);
        Assert.True(relative < 1e-8, difference);
        Assert.NotNull(Encoding.UTF8);
    }
}
