using System.Text.Json;

namespace FaceCluster.Tables.Tests;

public sealed class WritingTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Wide_csv_is_rfc4180_and_round_trips()
    {
        var table = new WideTable(["plain", "with,comma", "with \"quote\"\nand line"], ["US:Anger", "a,b"], [0.1, 1.0 / 3, -0.0, 1e-300, 12, -5e20], "t");
        var path = _folder.File("t.csv");

        await WideTableWriter.WriteAsync(table, path, Ct);
        var text = await File.ReadAllTextAsync(path, Ct);
        var back = await WideTableReader.ReadAsync(path, Ct);

        Assert.Equal(
            "seed_id,US:Anger,\"a,b\"\r\n" +
            "plain,0.1,0.3333333333333333\r\n" +
            "\"with,comma\",-0,1E-300\r\n" +
            "\"with \"\"quote\"\"\nand line\",12,-5E+20\r\n",
            text);
        Assert.Equal(table.SeedIds, back.SeedIds);
        Assert.Equal(table.Attributes, back.Attributes);
        Assert.Equal(table.Values.Select(BitConverter.DoubleToInt64Bits), back.Values.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(["t.csv"], _folder.Entries());
    }

    [Fact]
    public async Task Writing_replaces_the_old_file_and_leaves_no_temporary_file()
    {
        var path = _folder.WriteText("t.parquet", "old content");
        var table = new WideTable(["a", "b", "c"], ["x"], [1, 2, 3], "t");

        await WideTableWriter.WriteParquetAsync(table, path, Ct);

        Assert.Equal(["t.parquet"], _folder.Entries());
        Assert.Equal(table.Values, (await WideTableReader.ReadAsync(path, Ct)).Values);
    }

    [Fact]
    public async Task A_failed_write_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        var path = _folder.WriteText("t.json", "old");

        await Assert.ThrowsAsync<InvalidOperationException>(() => AtomicFile.WriteAsync(
            path,
            async (stream, ct) =>
            {
                await stream.WriteAsync(new byte[] { 1, 2, 3 }, ct);
                throw new InvalidOperationException("boom");
            },
            Ct));

        Assert.Equal(["t.json"], _folder.Entries());
        Assert.Equal("old", await File.ReadAllTextAsync(path, Ct));
    }

    [Fact]
    public async Task A_cancelled_write_leaves_nothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var table = new WideTable(["a", "b", "c"], ["x"], [1, 2, 3], "t");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WideTableWriter.WriteCsvAsync(table, _folder.File("t.csv"), cancelled.Token));

        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void Unknown_extension_is_refused()
    {
        var table = new WideTable(["a", "b", "c"], ["x"], [1, 2, 3], "t");
        Assert.Throws<ArgumentException>(() => { _ = WideTableWriter.WriteAsync(table, _folder.File("t.txt"), Ct); });
    }

    [Fact]
    public async Task Json_is_indented_snake_case_and_keeps_non_finite_numbers()
    {
        var path = _folder.File("summary.json");

        await AtomicFile.WriteJsonAsync(path, new Summary(3, double.NaN, "Ψ", new Dictionary<string, double> { ["US"] = 0.5 }), Ct);
        var text = await File.ReadAllTextAsync(path, Ct);
        using var json = JsonDocument.Parse(text);

        Assert.Equal(3, json.RootElement.GetProperty("n_significant").GetInt32());
        Assert.Equal("NaN", json.RootElement.GetProperty("snr_first").GetString());
        Assert.Equal(0.5, json.RootElement.GetProperty("per_country").GetProperty("US").GetDouble());
        Assert.Contains("\"label\": \"Ψ\"", text, StringComparison.Ordinal);
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        Assert.Equal(["summary.json"], _folder.Entries());
    }

    private sealed record Summary(int NSignificant, double SnrFirst, string Label, Dictionary<string, double> PerCountry);
}
