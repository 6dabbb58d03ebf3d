namespace FaceCluster.Tables.Tests;

public sealed class WideTableTests
{
    [Fact]
    public void Indexes_row_major()
    {
        var table = new WideTable(["s1", "s2", "s3"], ["a", "b"], [1, 2, 3, 4, 5, 6], "t");
        Assert.Equal(3, table.RowCount);
        Assert.Equal(2, table.ColumnCount);
        Assert.Equal(4, table[1, 1]);
    }

    [Fact]
    public void Shape_mismatch_is_a_programming_error() =>
        Assert.Throws<ArgumentException>(() => new WideTable(["s1", "s2", "s3"], ["a"], [1, 2], "t"));

    [Fact]
    public void Computed_tables_are_validated_under_their_label()
    {
        var error = Assert.Throws<InvalidInputException>(
            () => new WideTable(["s1", "s2", "s3"], ["a", "b"], [1, 2, 3, double.NaN, 5, 6], "judgments"));
        Assert.Equal("judgments: row 2, column \"b\": NaN is not allowed; values must be finite numbers", error.Message);
        Assert.Equal(2, error.Row);
        Assert.Equal("b", error.Column);
        Assert.Equal("judgments", error.File);
    }

    [Fact]
    public void Exception_messages_stay_on_one_line()
    {
        var error = InvalidInputException.InFile("x.csv", "bad\r\nthing", 3, "a\nb");
        Assert.Equal("x.csv: row 3, column \"a b\": bad thing", error.Message);
        Assert.Equal("plain text", new InvalidInputException("plain\ntext").Message);
    }
}
