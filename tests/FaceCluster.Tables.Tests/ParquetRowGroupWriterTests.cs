namespace FaceCluster.Tables.Tests;

public sealed class ParquetRowGroupWriterTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Names = ["id", "value", "maybe", "count"];
    private static readonly Type[] Types = [typeof(string), typeof(double), typeof(double?), typeof(int)];

    private static ParquetColumn[] Columns(string?[] ids, double[] values, double?[] maybe, int[] counts) =>
    [
        new("id", ids), new("value", values), new("maybe", maybe), new("count", counts),
    ];

    [Fact]
    public async Task Row_groups_are_appended_in_order_and_read_back_as_one_table()
    {
        var path = _folder.File("t.parquet");
        await using (var writer = await ParquetRowGroupWriter.CreateAsync(path, Names, Types, Ct))
        {
            await writer.AppendAsync(Columns(["a", "b", null], [1, 2, 3], [null, 0.5, 1.5], [7, 8, 9]), Ct);

            // A reused buffer: only its first two rows belong to the second group.
            await writer.AppendAsync(Columns(["c", "d", "stale"], [4, 5, 99], [2.5, null, 99], [10, 11, 99]), 2, Ct);
            Assert.False(File.Exists(path));
            Assert.Equal(5, writer.RowCount);
            Assert.Equal(2, writer.RowGroupCount);
            await writer.CommitAsync(Ct);
        }

        Assert.Equal(["t.parquet"], _folder.Entries());
        var table = await ParquetTableReader.ReadAllAsync(path, Ct);
        Assert.Equal(Names, table.Columns.Select(c => c.Name));
        Assert.Equal(new string?[] { "a", "b", null, "c", "d" }, (string?[])table.Columns[0].Values);
        Assert.Equal([1.0, 2, 3, 4, 5], (double[])table.Columns[1].Values);
        Assert.Equal([null, 0.5, 1.5, 2.5, null], (double?[])table.Columns[2].Values);
        Assert.Equal([7, 8, 9, 10, 11], (int[])table.Columns[3].Values);
    }

    [Fact]
    public async Task Disposing_without_commit_deletes_the_temporary_file_and_keeps_the_old_table()
    {
        var path = _folder.WriteText("t.parquet", "old");
        await using (var writer = await ParquetRowGroupWriter.CreateAsync(path, Names, Types, Ct))
        {
            await writer.AppendAsync(Columns(["a"], [1], [1], [1]), Ct);
            Assert.Equal(2, _folder.Entries().Length);
        }

        Assert.Equal(["t.parquet"], _folder.Entries());
        Assert.Equal("old", await File.ReadAllTextAsync(path, Ct));
    }

    [Fact]
    public async Task A_table_without_rows_keeps_its_schema()
    {
        var path = _folder.File("empty.parquet");
        await using (var writer = await ParquetRowGroupWriter.CreateAsync(path, Names, Types, Ct))
        {
            await writer.AppendAsync(Columns([], [], [], []), Ct);
            await writer.CommitAsync(Ct);
        }

        var table = await ParquetTableReader.ReadAllAsync(path, Ct);
        Assert.Equal(0, table.RowCount);
        Assert.Equal(Names, table.Columns.Select(c => c.Name));
        Assert.Equal(typeof(double?[]), table.Columns[2].Values.GetType());
    }

    [Fact]
    public async Task Columns_that_do_not_match_the_schema_are_refused()
    {
        await using var writer = await ParquetRowGroupWriter.CreateAsync(_folder.File("t.parquet"), Names, Types, Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => writer.AppendAsync([new ParquetColumn("id", new[] { "a" })], Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.AppendAsync(
            [new("id", new[] { "a" }), new("value", new double?[] { 1 }), new("maybe", new double?[] { 1 }), new("count", new[] { 1 })], Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.AppendAsync(Columns(["a"], [1], [1], [1]), 2, Ct));
    }

    [Fact]
    public async Task The_same_rows_give_the_same_bytes_as_the_in_memory_writer()
    {
        var streamed = _folder.File("streamed.parquet");
        var whole = _folder.File("whole.parquet");
        var columns = Columns(["a", "b", "c", "d"], [1, 2, 3, 4], [1, null, 3, null], [5, 6, 7, 8]);
        await using (var writer = await ParquetRowGroupWriter.CreateAsync(streamed, Names, Types, Ct))
        {
            await writer.AppendAsync(columns, Ct);
            await writer.CommitAsync(Ct);
        }

        await ParquetTableWriter.WriteAsync(whole, columns, Ct);

        Assert.Equal(await File.ReadAllBytesAsync(whole, Ct), await File.ReadAllBytesAsync(streamed, Ct));
    }
}
