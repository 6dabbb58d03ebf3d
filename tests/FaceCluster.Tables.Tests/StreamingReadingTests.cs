using System.Text;

namespace FaceCluster.Tables.Tests;

public sealed class StreamingReadingTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // ---- ParquetStreamingReader ----

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public async Task Parquet_row_groups_come_back_one_at_a_time_with_only_the_columns_asked_for(int parallelism)
    {
        var path = _folder.File("t.parquet");
        var ids = Enumerable.Range(0, 10).Select(i => i == 4 ? null : $"id{i}").ToArray();
        var values = Enumerable.Range(0, 10).Select(i => i * 1.5).ToArray();
        var counts = Enumerable.Range(0, 10).Select(i => i % 3 == 0 ? (int?)null : i).ToArray();
        await ParquetTableWriter.WriteAsync(path, [new("id", ids), new("value", values), new("count", counts)], rowsPerGroup: 4, Ct);

        await using var reader = await ParquetStreamingReader.OpenAsync(path, Ct);
        reader.MaxParallelism = parallelism;

        Assert.Equal(3, reader.RowGroupCount);
        Assert.Equal(10, reader.RowCount);
        Assert.Equal([4L, 4, 2], Enumerable.Range(0, 3).Select(reader.GetRowGroupRowCount));
        Assert.Equal(
            [new ParquetColumnInfo("id", typeof(string), true, true), new ParquetColumnInfo("value", typeof(double), false, true), new ParquetColumnInfo("count", typeof(int), true, true)],
            reader.Columns);
        var seenIds = new List<string?>();
        var seenCounts = new List<int?>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var columns = await reader.ReadRowGroupAsync(g, ["count", "id"], Ct);
            Assert.Equal(["count", "id"], columns.Select(c => c.Name));
            seenCounts.AddRange((int?[])columns[0].Values);
            seenIds.AddRange((string?[])columns[1].Values);
        }

        Assert.Equal(ids, seenIds);
        Assert.Equal(counts, seenCounts);
        var last = (double[])(await reader.ReadColumnAsync(2, "value", Ct)).Values;
        Assert.Equal(new[] { 12.0, 13.5 }, last);
    }

    [Fact]
    public async Task Parquet_columns_can_be_read_from_several_threads()
    {
        var path = _folder.File("t.parquet");
        var columns = Enumerable.Range(0, 6).Select(j => new ParquetColumn($"c{j}", Enumerable.Range(0, 5000).Select(i => $"{j}-{i}").ToArray())).ToArray();
        await ParquetTableWriter.WriteAsync(path, columns, rowsPerGroup: 1000, Ct);
        await using var reader = await ParquetStreamingReader.OpenAsync(path, Ct);

        var reads = Enumerable.Range(0, reader.RowGroupCount).SelectMany(g => columns.Select(c => (g, c.Name))).ToArray();
        var results = await Task.WhenAll(reads.Select(r => Task.Run(() => reader.ReadColumnAsync(r.g, r.Name, Ct), Ct)));

        for (var k = 0; k < reads.Length; k++)
        {
            var (g, name) = reads[k];
            Assert.Equal(Enumerable.Range(g * 1000, 1000).Select(i => $"{name[1..]}-{i}"), (string?[])results[k].Values);
        }
    }

    [Fact]
    public async Task Parquet_streaming_reader_refuses_missing_and_damaged_files()
    {
        var missing = _folder.File("nope.parquet");
        var damaged = _folder.WriteText("bad.parquet", "PAR1 this is not parquet");

        var notFound = await Assert.ThrowsAsync<InvalidInputException>(() => ParquetStreamingReader.OpenAsync(missing, Ct));
        var unreadable = await Assert.ThrowsAsync<InvalidInputException>(() => ParquetStreamingReader.OpenAsync(damaged, Ct));

        Assert.Equal($"{missing}: file not found", notFound.Message);
        Assert.StartsWith($"{damaged}: not a readable Parquet file (", unreadable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parquet_streaming_reader_refuses_unknown_columns()
    {
        var path = _folder.File("t.parquet");
        await ParquetTableWriter.WriteAsync(path, [new("a", new[] { 1 })], Ct);
        await using var reader = await ParquetStreamingReader.OpenAsync(path, Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => reader.ReadColumnAsync(0, "b", Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => reader.ReadColumnAsync(1, "a", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => reader.ReadRowGroupAsync(0, ["a", "a"], Ct));
    }

    // ---- CsvRecordReader ----

    private static List<List<string>> ReadAll(string text, out long lastRecord)
    {
        using var reader = new CsvRecordReader(new StringReader(text), "x.csv");
        var records = new List<List<string>>();
        var fields = new List<string>();
        while (reader.TryReadRecord(fields))
        {
            records.Add([.. fields]);
        }

        lastRecord = reader.Record;
        return records;
    }

    [Fact]
    public void Csv_records_follow_rfc_4180()
    {
        var records = ReadAll("a,b,c\r\n1,\"x, \"\"y\"\"\",\r\n\n\"multi\nline\",2,3\n4,5,", out var last);

        Assert.Equal(
            [["a", "b", "c"], ["1", "x, \"y\"", ""], ["multi\nline", "2", "3"], ["4", "5", ""]],
            records);
        Assert.Equal(3, last);
    }

    [Fact]
    public void Csv_fields_longer_than_the_buffer_are_read_whole()
    {
        var longField = new string('x', 200_000);
        var quoted = "q\"" + new string('y', 100_000);
        var records = ReadAll($"h1,h2\n{longField},\"{quoted.Replace("\"", "\"\"", StringComparison.Ordinal)}\"\n", out _);

        Assert.Equal([["h1", "h2"], [longField, quoted]], records);
    }

    [Theory]
    [InlineData("a,b\n1,\"2\n", "x.csv: row 1: a quoted field is not closed before the end of the file")]
    [InlineData("a,b\n1,2\n3,x\"y\n", "x.csv: row 2: a double quote inside an unquoted field (quote the field and double its quotes)")]
    [InlineData("a,\"b\"c\n", "x.csv: header row: unexpected 'c' after a closing quote")]
    public void Csv_quoting_errors_name_the_row(string text, string message)
    {
        var error = Assert.Throws<InvalidInputException>(() => ReadAll(text, out _));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Csv_file_reports_its_progress_in_bytes()
    {
        var text = new StringBuilder("a,b\n");
        for (var i = 0; i < 50_000; i++)
        {
            text.Append(i).Append(",v").Append(i).Append('\n');
        }

        var path = _folder.WriteText("big.csv", text.ToString());
        using var reader = CsvRecordReader.Open(path);
        var fields = new List<string>();
        var rows = 0;
        while (reader.TryReadRecord(fields))
        {
            rows++;
        }

        Assert.Equal(50_001, rows);
        Assert.Equal(new FileInfo(path).Length, reader.Length);
        Assert.Equal(reader.Length, reader.BytesRead);
    }
}
