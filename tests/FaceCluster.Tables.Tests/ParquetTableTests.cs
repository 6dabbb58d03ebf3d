namespace FaceCluster.Tables.Tests;

public sealed class ParquetTableTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Typed_columns_round_trip_across_row_groups()
    {
        ParquetColumn[] columns =
        [
            new("name", new[] { "a", null, "c, \"d\"", "é" }),
            new("value", new[] { 0.1, double.NaN, double.NegativeInfinity, -0.0 }),
            new("maybe", new double?[] { 1.5, null, double.PositiveInfinity, 4 }),
            new("count", new[] { 1, -2, int.MaxValue, 0 }),
            new("big", new[] { long.MinValue, 2, 3, 4 }),
            new("flag", new[] { true, false, true, false }),
        ];
        var path = _folder.File("t.parquet");

        await ParquetTableWriter.WriteAsync(path, columns, rowsPerGroup: 3, Ct);
        var table = await ParquetTableReader.ReadAllAsync(path, Ct);

        Assert.Equal(4, table.RowCount);
        Assert.Equal(path, table.SourcePath);
        Assert.Equal(columns.Select(c => c.Name), table.Columns.Select(c => c.Name));
        Assert.Equal(columns.Select(c => c.ValueType), table.Columns.Select(c => c.ValueType));
        Assert.Equal(columns.Select(c => c.IsNullable), table.Columns.Select(c => c.IsNullable));
        for (var j = 0; j < columns.Length; j++)
        {
            Assert.Equal(columns[j].Values.Cast<object?>(), table.Columns[j].Values.Cast<object?>());
        }

        Assert.IsType<double?[]>(table.Columns[2].Values);
        Assert.IsType<int[]>(table.Columns[3].Values);
        Assert.Null(table.Columns[2].GetValue(1));
        Assert.Same(table.Columns[4], table.FindColumn("big"));
        Assert.Null(table.FindColumn("absent"));
    }

    [Fact]
    public async Task Every_supported_value_type_round_trips()
    {
        var time = new DateTime(2024, 3, 1, 12, 30, 15, 250, DateTimeKind.Utc);
        ParquetColumn[] columns =
        [
            new("sbyte", new sbyte[] { -1, 2 }),
            new("byte", new byte?[] { 1, null }),
            new("short", new short[] { -300, 300 }),
            new("ushort", new ushort[] { 1, 65535 }),
            new("uint", new uint?[] { null, uint.MaxValue }),
            new("ulong", new ulong[] { 0, ulong.MaxValue }),
            new("float", new[] { 0.1f, float.NaN }),
            new("decimal", new decimal?[] { 1.25m, null }),
            new("datetime", new DateTime?[] { time, null }),
            new("date", new[] { DateOnly.FromDateTime(time), DateOnly.MinValue }),
            new("guid", new[] { Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), Guid.Empty }),
            new("bytes", new[] { new byte[] { 1, 2, 3 }, null }),
        ];
        var path = _folder.File("types.parquet");

        await ParquetTableWriter.WriteAsync(path, columns, Ct);
        var table = await ParquetTableReader.ReadAllAsync(path, Ct);

        for (var j = 0; j < columns.Length; j++)
        {
            Assert.Equal(columns[j].ValueType, table.Columns[j].ValueType);
            Assert.Equal(columns[j].Values.Cast<object?>(), table.Columns[j].Values.Cast<object?>());
        }
    }

    [Fact]
    public async Task Empty_table_keeps_its_columns()
    {
        var path = _folder.File("empty.parquet");
        await ParquetTableWriter.WriteAsync(path, [new ParquetColumn("x", Array.Empty<double>())], Ct);

        var table = ParquetTableReader.ReadAll(path);

        Assert.Equal(0, table.RowCount);
        Assert.Equal("x", Assert.Single(table.Columns).Name);
    }

    [Fact]
    public async Task Nested_columns_are_refused_by_name()
    {
        var path = _folder.File("nested.parquet");
        var list = new Parquet.Schema.DataField<int[]>("tags");
        await using (var stream = File.Create(path))
        {
            await using var writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema(list), stream, cancellationToken: Ct);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<int>(list, new[] { 1, 2 }, new[] { 0, 1 }, cancellationToken: Ct);
        }

        await Expect.Invalid(() => ParquetTableReader.ReadAllAsync(path, Ct), path, "column \"tags\"", "nested");
    }

    [Fact]
    public async Task Corrupt_file_is_one_line_naming_the_file()
    {
        var path = _folder.WriteText("notes.parquet", "this is not parquet at all, just some text that is long enough");
        await Expect.Invalid(() => ParquetTableReader.ReadAllAsync(path, Ct), path, "not a readable Parquet file (");
    }

    [Fact]
    public void Writer_refuses_bad_column_sets()
    {
        var path = _folder.File("bad.parquet");
        // Argument errors are thrown before anything is written, not from the returned task.
        Assert.Throws<ArgumentException>(() => { _ = ParquetTableWriter.WriteAsync(path, [], Ct); });
        Assert.Throws<ArgumentException>(() =>
        {
            _ = ParquetTableWriter.WriteAsync(path, [new ParquetColumn("a", new[] { 1.0 }), new ParquetColumn("a", new[] { 2.0 })], Ct);
        });
        Assert.Throws<ArgumentException>(() =>
        {
            _ = ParquetTableWriter.WriteAsync(path, [new ParquetColumn("a", new[] { 1.0 }), new ParquetColumn("b", new[] { 2.0, 3.0 })], Ct);
        });
        Assert.Throws<ArgumentException>(() => new ParquetColumn("o", new object[] { 1 }));
        Assert.Empty(_folder.Entries());
    }
}
