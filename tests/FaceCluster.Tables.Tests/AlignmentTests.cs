namespace FaceCluster.Tables.Tests;

public sealed class AlignmentTests
{
    private static WideTable X() => new(["s1", "s2", "s3"], ["a", "b"], [1, 2, 3, 4, 5, 6], "x.parquet");

    [Fact]
    public void Reorders_rows_and_columns_to_the_reference()
    {
        // Y holds the same cells as X, rows s3, s1, s2 and columns b, a.
        var y = new WideTable(["s3", "s1", "s2"], ["b", "a"], [6, 5, 2, 1, 4, 3], "y.parquet");

        var aligned = y.AlignTo(X());

        Assert.Equal(["s1", "s2", "s3"], aligned.SeedIds);
        Assert.Equal(["a", "b"], aligned.Attributes);
        Assert.Equal([1, 2, 3, 4, 5, 6], aligned.Values);
        Assert.Equal("y.parquet", aligned.SourcePath);
    }

    [Fact]
    public void Aligning_an_aligned_table_changes_nothing()
    {
        var x = X();
        Assert.Equal(x.Values, x.AlignTo(x).Values);
    }

    [Fact]
    public void Missing_and_extra_seed_ids_are_named_with_their_counts()
    {
        var x = new WideTable(["s1", "s2", "s3", "s4", "s5", "s6", "s7"], ["a"], [1, 2, 3, 4, 5, 6, 7], "x.parquet");
        var y = new WideTable(["s1", "s2", "s9"], ["a"], [1, 2, 9], "y.parquet");

        var error = Assert.Throws<InvalidInputException>(() => y.AlignTo(x));

        Assert.StartsWith("y.parquet: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("x.parquet", error.Message, StringComparison.Ordinal);
        Assert.Contains("5 seed ids of x.parquet missing here (\"s3\", \"s4\", \"s5\", …)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s6", error.Message, StringComparison.Ordinal);
        Assert.Contains("1 seed id not in x.parquet (\"s9\")", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_and_extra_attributes_are_named()
    {
        var y = new WideTable(["s1", "s2", "s3"], ["a", "c"], [1, 2, 3, 4, 5, 6], "y.csv");

        var error = Assert.Throws<InvalidInputException>(() => y.AlignTo(X()));

        Assert.StartsWith("y.csv: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("1 attribute of x.parquet missing here (\"b\")", error.Message, StringComparison.Ordinal);
        Assert.Contains("1 attribute not in x.parquet (\"c\")", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("seed id", error.Message, StringComparison.Ordinal);
    }
}
