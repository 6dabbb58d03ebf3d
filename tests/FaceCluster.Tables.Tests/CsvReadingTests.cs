namespace FaceCluster.Tables.Tests;

public sealed class CsvReadingTests : IDisposable
{
    private const string Header = "seed_id,US:Anger,US:Awe\n";
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Csv(string body, string name = "x.csv") => _folder.WriteText(name, body);

    [Fact]
    public async Task Reads_quoted_fields_with_commas_quotes_and_line_breaks()
    {
        var path = Csv("seed_id,\"US:Anger, raw\",\"say \"\"awe\"\"\"\r\n" +
                       "\"s,1\",1.5,-2e-3\r\n" +
                       "\"s\"\"2\"\"\",0,1E+2\r\n" +
                       "\"s\n3\", 4 ,5\r\n");
        var table = await WideTableReader.ReadAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(["s,1", "s\"2\"", "s\n3"], table.SeedIds);
        Assert.Equal(["US:Anger, raw", "say \"awe\""], table.Attributes);
        Assert.Equal([1.5, -0.002, 0, 100, 4, 5], table.Values);
        Assert.Equal(path, table.SourcePath);
    }

    [Fact]
    public async Task Accepts_a_byte_order_mark_a_missing_final_newline_and_trailing_blank_lines()
    {
        var table = await WideTableReader.ReadAsync(Csv("\uFEFF" + Header + "a,1,2\nb,3,4\nc,5,6"), TestContext.Current.CancellationToken);
        Assert.Equal(3, table.RowCount);
        var again = await WideTableReader.ReadAsync(Csv(Header + "a,1,2\nb,3,4\nc,5,6\n\n\n", "y.csv"), TestContext.Current.CancellationToken);
        Assert.Equal(table.Values, again.Values);
    }

    [Fact]
    public void Extension_is_matched_ignoring_case_and_the_sync_reader_works()
    {
        var table = WideTableReader.Read(Csv(Header + "a,1,2\nb,3,4\nc,5,6\n", "UPPER.CSV"));
        Assert.Equal(["a", "b", "c"], table.SeedIds);
    }

    [Fact]
    public Task NaN_names_row_and_column() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\nb,3,NaN\nc,5,6\n"), "row 2", "column \"US:Awe\"", "NaN");

    [Fact]
    public Task Infinity_names_row_and_column() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\nb,3,4\nc,-Infinity,6\n"), "row 3", "column \"US:Anger\"", "-Infinity");

    [Fact]
    public Task Overflow_to_infinity_is_refused() =>
        Expect.InvalidWide(Csv(Header + "a,1e999,2\nb,3,4\nc,5,6\n"), "row 1", "column \"US:Anger\"", "Infinity");

    [Fact]
    public Task Non_numeric_cell_names_row_column_and_text() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\nb,3,4\nc,abc,6\n"), "row 3, column \"US:Anger\": \"abc\" is not a number");

    [Fact]
    public Task Comma_decimal_separator_is_not_a_number() =>
        Expect.InvalidWide(Csv(Header + "a,\"1,5\",2\nb,3,4\nc,5,6\n"), "row 1", "\"1,5\" is not a number");

    [Fact]
    public Task Empty_cell_is_a_missing_value() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\nb,,4\nc,5,6\n"), "row 2, column \"US:Anger\"", "missing");

    [Fact]
    public Task Duplicate_seed_ids_name_both_rows() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\nb,3,4\na,5,6\n"), "row 3", "\"a\"", "row 1", "seed_id");

    [Fact]
    public Task Empty_seed_id_names_the_row() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\n,3,4\nc,5,6\n"), "row 2", "column \"seed_id\"", "empty seed id");

    [Fact]
    public Task Duplicate_column_names_are_refused() =>
        Expect.InvalidWide(Csv("seed_id,US:Anger,US:Anger\na,1,2\nb,3,4\nc,5,6\n"), "column \"US:Anger\"", "duplicate column name", "columns 2 and 3");

    [Fact]
    public Task A_second_seed_id_column_is_a_duplicate() =>
        Expect.InvalidWide(Csv("seed_id,US:Anger,seed_id\na,1,2\nb,3,4\nc,5,6\n"), "column \"seed_id\"", "duplicate column name");

    [Fact]
    public Task Empty_column_name_is_refused() =>
        Expect.InvalidWide(Csv("seed_id,US:Anger,\na,1,2\nb,3,4\nc,5,6\n"), "column 3 has an empty name");

    [Fact]
    public Task No_attribute_columns_is_refused() =>
        Expect.InvalidWide(Csv("seed_id\na\nb\nc\n"), "no attribute columns");

    [Fact]
    public Task Fewer_than_three_rows_is_refused() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\nb,3,4\n"), "2 data rows", "at least 3");

    [Fact]
    public Task Ragged_row_names_the_row() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\nb,3\nc,5,6\n"), "row 2", "2 fields", "header has 3");

    [Fact]
    public Task Blank_line_inside_the_data_is_a_ragged_row() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\n\nc,5,6\nd,7,8\n"), "row 2", "1 fields");

    [Fact]
    public Task Unclosed_quote_names_the_row() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\nb,\"3,4\nc,5,6\n"), "row 2", "not closed");

    [Fact]
    public Task Text_after_a_closing_quote_is_refused() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\nb,\"3\"x,4\nc,5,6\n"), "row 2", "after a closing quote");

    [Fact]
    public Task Quote_inside_an_unquoted_field_is_refused() =>
        Expect.InvalidWide(Csv(Header + "a,1,2\nb,3,4\nc\"d,5,6\n"), "row 3", "double quote");

    [Fact]
    public Task First_column_must_be_seed_id() =>
        Expect.InvalidWide(Csv("id,US:Anger\na,1\nb,2\nc,3\n"), "first column must be \"seed_id\"", "\"id\"");

    [Fact]
    public Task Empty_file_is_refused() =>
        Expect.InvalidWide(Csv(string.Empty), "empty file");

    [Fact]
    public Task Missing_file_is_refused() =>
        Expect.InvalidWide(_folder.File("absent.csv"), "file not found");

    [Fact]
    public Task A_folder_is_not_a_file() =>
        Expect.InvalidWide(Directory.CreateDirectory(_folder.File("dir.csv")).FullName, "is a folder");

    [Fact]
    public Task Unsupported_extension_names_it() =>
        Expect.InvalidWide(Csv(Header, "x.tsv"), "unsupported file type \".tsv\"");

    [Fact]
    public Task No_extension_is_refused() =>
        Expect.InvalidWide(Csv(Header, "table"), "unsupported file type (no extension)");
}
