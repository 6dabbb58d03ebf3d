namespace FaceCluster.Tables.Tests;

public sealed class ParquetReadingTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ParquetColumn Ids(params string?[] ids) => new(WideTable.SeedIdColumn, ids);

    private async Task<string> WriteParquet(string name, params ParquetColumn[] columns)
    {
        var path = _folder.File(name);
        await ParquetTableWriter.WriteAsync(path, columns, Ct);
        return path;
    }

    [Fact]
    public async Task Wide_table_round_trips_bit_for_bit()
    {
        // Extremes the analysis accepts (values near the double limit are refused: docs/limits.md).
        double[] values = [0.1, 1.0 / 3, double.Epsilon, -0.0, 1e57, -7, 2.5e-300, 42, -9.87654321e56];
        var table = new WideTable(["s1", "s,2", "s\"3\""], ["US:Anger", "US:Awe", "CN:Joy"], values, "computed");
        var path = _folder.File("t.parquet");

        await WideTableWriter.WriteAsync(table, path, Ct);
        var back = await WideTableReader.ReadAsync(path, Ct);

        Assert.Equal(table.SeedIds, back.SeedIds);
        Assert.Equal(table.Attributes, back.Attributes);
        Assert.Equal(values.Select(BitConverter.DoubleToInt64Bits), back.Values.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(path, back.SourcePath);
    }

    [Fact]
    public async Task Accepts_integer_float_and_decimal_columns()
    {
        var path = await WriteParquet(
            "types.PARQUET",
            Ids("a", "b", "c"),
            new ParquetColumn("i", new[] { 1, 2, 3 }),
            new ParquetColumn("l", new[] { 4L, 5L, long.MaxValue }),
            new ParquetColumn("f", new[] { 0.5f, 1.5f, -2f }),
            new ParquetColumn("m", new[] { 1.25m, 2m, -3.5m }),
            new ParquetColumn("s", new short[] { 7, 8, 9 }),
            new ParquetColumn("d", new double?[] { 1, 2, 3 }));

        var table = await WideTableReader.ReadAsync(path, Ct);

        Assert.Equal(["i", "l", "f", "m", "s", "d"], table.Attributes);
        Assert.Equal([1, 4, 0.5, 1.25, 7, 1], table.Values[..6]);
        Assert.Equal(long.MaxValue, table[2, 1]);
        Assert.Equal(-3.5, table[2, 3]);
    }

    [Fact]
    public async Task Reads_every_row_group()
    {
        var ids = Enumerable.Range(1, 7).Select(i => $"s{i}").ToArray();
        var values = Enumerable.Range(1, 7).Select(i => i * 1.5).ToArray();
        var path = _folder.File("groups.parquet");
        await ParquetTableWriter.WriteAsync(path, [Ids(ids), new ParquetColumn("a", values)], rowsPerGroup: 3, Ct);

        var table = await WideTableReader.ReadAsync(path, Ct);

        Assert.Equal(ids, table.SeedIds);
        Assert.Equal(values, table.Values);
    }

    [Fact]
    public async Task NaN_names_row_and_column() =>
        await Expect.InvalidWide(
            await WriteParquet("nan.parquet", Ids("a", "b", "c"), new("x", new[] { 1.0, 2, 3 }), new("US:Awe", new[] { 1.0, double.NaN, 3 })),
            "row 2", "column \"US:Awe\"", "NaN");

    [Fact]
    public async Task Infinity_names_row_and_column() =>
        await Expect.InvalidWide(
            await WriteParquet("inf.parquet", Ids("a", "b", "c"), new("US:Awe", new[] { 1.0, 2, double.PositiveInfinity })),
            "row 3", "column \"US:Awe\"", "Infinity");

    [Fact]
    public async Task Null_value_names_the_first_in_row_order() =>
        await Expect.InvalidWide(
            await WriteParquet(
                "null.parquet",
                Ids("a", "b", "c"),
                new("x", new double?[] { 1, 2, null }),
                new("y", new double?[] { 1, null, 3 })),
            "row 2, column \"y\": missing value (null)");

    [Fact]
    public async Task Null_seed_id_names_the_row() =>
        await Expect.InvalidWide(
            await WriteParquet("nullid.parquet", Ids("a", null, "c"), new("x", new[] { 1.0, 2, 3 })),
            "row 2", "column \"seed_id\"", "missing seed id");

    [Fact]
    public async Task Empty_seed_id_names_the_row() =>
        await Expect.InvalidWide(
            await WriteParquet("emptyid.parquet", Ids("a", "b", ""), new("x", new[] { 1.0, 2, 3 })),
            "row 3", "column \"seed_id\"", "empty seed id");

    [Fact]
    public async Task Duplicate_seed_ids_name_both_rows() =>
        await Expect.InvalidWide(
            await WriteParquet("dup.parquet", Ids("a", "b", "c", "b"), new("x", new[] { 1.0, 2, 3, 4 })),
            "row 4", "duplicate seed id \"b\"", "row 2");

    [Fact]
    public async Task Non_numeric_column_is_named() =>
        await Expect.InvalidWide(
            await WriteParquet("text.parquet", Ids("a", "b", "c"), new("x", new[] { 1.0, 2, 3 }), new("label", new[] { "u", "v", "w" })),
            "column \"label\"", "not a numeric column");

    [Fact]
    public async Task Boolean_column_is_not_numeric() =>
        await Expect.InvalidWide(
            await WriteParquet("bool.parquet", Ids("a", "b", "c"), new("flag", new[] { true, false, true })),
            "column \"flag\"", "not a numeric column");

    [Fact]
    public async Task No_attribute_columns_is_refused() =>
        await Expect.InvalidWide(await WriteParquet("ids.parquet", Ids("a", "b", "c")), "no attribute columns");

    [Fact]
    public async Task Fewer_than_three_rows_is_refused() =>
        await Expect.InvalidWide(await WriteParquet("short.parquet", Ids("a", "b"), new("x", new[] { 1.0, 2 })), "2 data rows");

    [Fact]
    public async Task First_column_must_be_seed_id() =>
        await Expect.InvalidWide(
            await WriteParquet("order.parquet", new("x", new[] { 1.0, 2, 3 }), Ids("a", "b", "c")),
            "the first column must be \"seed_id\", found \"x\"");

    [Fact]
    public async Task Seed_id_must_be_a_string_column() =>
        await Expect.InvalidWide(
            await WriteParquet("intid.parquet", new(WideTable.SeedIdColumn, new[] { 1, 2, 3 }), new("x", new[] { 1.0, 2, 3 })),
            "column \"seed_id\"", "must be a string column");

    [Fact]
    public async Task Duplicate_column_names_are_refused()
    {
        // ParquetTableWriter refuses to write duplicates, so write the file with Parquet.Net itself.
        var path = _folder.File("dupcol.parquet");
        var id = new Parquet.Schema.DataField<string>(WideTable.SeedIdColumn);
        var first = new Parquet.Schema.DataField<double>("x");
        var second = new Parquet.Schema.DataField<double>("x");
        await using (var stream = File.Create(path))
        {
            await using var writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema(id, first, second), stream, cancellationToken: Ct);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(id, new[] { "a", "b", "c" });
            await group.WriteAsync<double>(first, new[] { 1.0, 2, 3 }, cancellationToken: Ct);
            await group.WriteAsync<double>(second, new[] { 1.0, 2, 3 }, cancellationToken: Ct);
        }

        await Expect.InvalidWide(path, "column \"x\"", "duplicate column name");
    }

    [Fact]
    public async Task Truncated_file_is_not_readable()
    {
        var whole = await WriteParquet("whole.parquet", Ids("a", "b", "c"), new("x", new[] { 1.0, 2, 3 }));
        var bytes = await File.ReadAllBytesAsync(whole, Ct);
        var path = _folder.File("half.parquet");
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)], Ct);

        var error = await Expect.InvalidWide(path, "not a readable Parquet file (");
        Assert.NotNull(error.InnerException);
    }

    [Fact]
    public async Task Random_bytes_are_not_readable()
    {
        var path = _folder.File("noise.parquet");
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes, Ct);

        await Expect.InvalidWide(path, "not a readable Parquet file (");
    }

    [Fact]
    public async Task Damaged_footer_is_not_readable()
    {
        var whole = await WriteParquet("whole.parquet", Ids("a", "b", "c"), new("x", new[] { 1.0, 2, 3 }));
        var bytes = await File.ReadAllBytesAsync(whole, Ct);
        var random = new Random(3);
        for (var i = bytes.Length - 120; i < bytes.Length - 8; i++)
        {
            bytes[i] = (byte)random.Next(256);
        }

        var path = _folder.File("damaged.parquet");
        await File.WriteAllBytesAsync(path, bytes, Ct);

        await Expect.InvalidWide(path, "not a readable Parquet file (");
    }

    [Fact]
    public async Task Empty_file_is_not_readable() =>
        await Expect.InvalidWide(_folder.WriteText("empty.parquet", string.Empty), "not a readable Parquet file (");

    [Fact]
    public Task Missing_file_is_refused() =>
        Expect.InvalidWide(_folder.File("absent.parquet"), "file not found");
}
