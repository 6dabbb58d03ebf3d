using System.Globalization;
using System.Text;

namespace FaceCluster.Tables.Tests;

/// <summary>Values the analysis would silently turn into NaN, damaged Parquet pages and oversized tables (issue 12).</summary>
public sealed class InputLimitTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (string[] Ids, string[] Attributes, double[] Values) Table(int rows, int columns)
    {
        var random = new Random(11);
        var values = new double[rows * columns];
        for (var k = 0; k < values.Length; k++)
        {
            values[k] = random.NextDouble() * 100;
        }

        return (
            Enumerable.Range(1, rows).Select(i => $"s{i}").ToArray(),
            Enumerable.Range(1, columns).Select(j => $"US:C{j}").ToArray(),
            values);
    }

    [Theory]
    [InlineData(1e160)]
    [InlineData(1e200)]
    [InlineData(-1.7e308)]
    public async Task One_huge_cell_is_refused_naming_file_column_and_row(double huge)
    {
        var (ids, attributes, values) = Table(20, 5);
        values[(6 * 5) + 3] = huge;
        var path = _folder.File("x.parquet");
        await ParquetTableWriter.WriteAsync(
            path,
            [new ParquetColumn(WideTable.SeedIdColumn, ids), .. attributes.Select((a, j) => new ParquetColumn(a, Enumerable.Range(0, 20).Select(i => values[(i * 5) + j]).ToArray()))],
            Ct);

        await Expect.InvalidWide(path, "column \"US:C4\"", "values too large for the analysis", "row 7", "1E+120");
    }

    [Fact]
    public async Task Columns_each_below_the_limit_but_together_over_it_are_refused()
    {
        // Each column's centred sum of squares is about 2e119, the total about 1e120 * 1.6.
        var (ids, attributes, values) = Table(4, 8);
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 8; j++)
            {
                values[(i * 8) + j] = (i % 2 == 0 ? 1 : -1) * 2.2e59;
            }
        }

        var csv = new StringBuilder("seed_id," + string.Join(',', attributes) + "\n");
        for (var i = 0; i < 4; i++)
        {
            csv.Append(ids[i]).Append(',').AppendJoin(',', values.Skip(i * 8).Take(8).Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Append('\n');
        }

        var path = _folder.WriteText("y.csv", csv.ToString());
        var error = await Expect.InvalidWide(path, "the centred sums of squares of all columns add up to");
        Assert.Null(error.Column);
    }

    [Fact]
    public void Infinity_in_a_computed_table_names_row_and_column()
    {
        var (ids, attributes, values) = Table(5, 3);
        values[(3 * 3) + 1] = double.NegativeInfinity;
        var error = Assert.Throws<InvalidInputException>(() => new WideTable(ids, attributes, values, "targets"));
        Assert.Equal("targets: row 4, column \"US:C2\": -Infinity is not allowed; values must be finite numbers", error.Message);
    }

    [Fact]
    public void Ordinary_values_pass_and_the_check_is_cheap()
    {
        // Paper size: about 5,000 seeds x 400 attributes. One check must stay in milliseconds, against analyses of
        // minutes (docs/limits.md gives the measured figure).
        var (ids, attributes, values) = Table(5000, 400);
        ValueChecks.CheckInput("x", attributes, values);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var r = 0; r < 5; r++)
        {
            ValueChecks.CheckInput("x", attributes, values);
        }

        Assert.True(watch.Elapsed.TotalMilliseconds / 5 < 200, $"{watch.Elapsed.TotalMilliseconds / 5:0.0} ms per check");
    }

    [Fact]
    public async Task Too_many_columns_are_refused_before_reading_the_data()
    {
        var columns = InputLimits.MaxColumns + 1;
        var header = "seed_id," + string.Join(',', Enumerable.Range(1, columns).Select(j => $"a{j}"));
        var row = string.Join(',', Enumerable.Repeat("0.5", columns));
        var path = _folder.WriteText("wide.csv", $"{header}\ns1,{row}\ns2,{row}\ns3,{row}\n");

        await Expect.InvalidWide(path, $"{columns} attribute columns; the limit is {InputLimits.MaxColumns}");

        var parquet = _folder.File("wide.parquet");
        await ParquetTableWriter.WriteAsync(
            parquet,
            [new ParquetColumn(WideTable.SeedIdColumn, new[] { "s1", "s2", "s3" }), .. Enumerable.Range(1, columns).Select(j => new ParquetColumn($"a{j}", new[] { 0.5, 0.5, 0.5 }))],
            Ct);
        await Expect.InvalidWide(parquet, $"{columns} attribute columns; the limit is {InputLimits.MaxColumns}");
    }

    [Fact]
    public async Task Every_damaged_byte_of_the_data_pages_gives_one_line_naming_the_file()
    {
        var (ids, attributes, values) = Table(50, 4);
        var whole = _folder.File("whole.parquet");
        await WideTableWriter.WriteAsync(new WideTable(ids, attributes, values, "x"), whole, Ct);
        var bytes = await File.ReadAllBytesAsync(whole, Ct);
        var footer = BitConverter.ToInt32(bytes, bytes.Length - 8);
        var dataEnd = bytes.Length - 8 - footer;
        var path = _folder.File("damaged.parquet");
        var unexpected = new List<string>();
        for (var at = 4; at < dataEnd; at += 3)
        {
            // 0xFF runs make the varints of page headers claim gigabytes; 0x00 and 0x7F make them short or odd.
            foreach (var value in new byte[] { 0xFF, 0x7F, 0x00 })
            {
                var damaged = (byte[])bytes.Clone();
                for (var k = at; k < Math.Min(at + 4, dataEnd); k++)
                {
                    damaged[k] = value;
                }

                await File.WriteAllBytesAsync(path, damaged, Ct);
                try
                {
                    await WideTableReader.ReadAsync(path, Ct);
                }
                catch (InvalidInputException e)
                {
                    Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
                    Assert.DoesNotContain('\n', e.Message);
                }
                catch (Exception e)
                {
                    unexpected.Add($"byte {at} = {value:X2}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        Assert.True(unexpected.Count == 0, string.Join(Environment.NewLine, unexpected.Take(5)));
    }
}
