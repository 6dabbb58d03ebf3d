namespace FaceCluster.Analysis.Tests;

public class PreservationTests
{
    [Fact]
    public void Identical_country_loadings_are_fully_preserved()
    {
        var names = new[] { "US:happy", "US:trust", "US:age", "IN:happy", "IN:trust", "IN:age" };
        var grid = AttributeGrid.TryParse(names, out var why);
        Assert.NotNull(grid);
        Assert.Null(why);
        var l = new RowMajorMatrix(6, 2, [0.5, 0.1, -0.3, 0.7, 0.2, -0.4, 0.5, 0.1, -0.3, 0.7, 0.2, -0.4]);
        var result = Preservation.Compute(l, grid);
        Assert.Equal(1.0, result.R, 1e-12);
        Assert.Equal(1.0, result.R2, 1e-12);
        Assert.All(result.PerDimension, r => Assert.Equal(1.0, r, 1e-12));
        Assert.All(result.PerCountry, r => Assert.Equal(1.0, r, 1e-12));
    }

    [Fact]
    public void Hand_case_with_two_countries_and_one_dimension()
    {
        // L_1 = (1, 0, 0), L_2 = (0, 0, 1) on concepts (a, b, c); Lbar = (0.5, 0, 0.5).
        // Pairs: (1, .5), (0, 0), (0, .5), (0, .5), (0, 0), (1, .5): x mean 1/3, y mean 1/3;
        // sxy = 2 * (2/3)(1/6) + 2 * (-1/3)(-1/3) + 2 * (-1/3)(1/6) = 2/9 + 2/9 - 1/9 = 1/3;
        // sxx = 2 * 4/9 + 4 * 1/9 = 4/3; syy = 4 * 1/36 + 2 * 1/9 = 1/3; r = (1/3) / sqrt(4/9) = 1/2.
        var names = new[] { "X:a", "X:b", "X:c", "Y:a", "Y:b", "Y:c" };
        var grid = AttributeGrid.TryParse(names, out _)!;
        var l = new RowMajorMatrix(6, 1, [1, 0, 0, 0, 0, 1]);
        var result = Preservation.Compute(l, grid);
        Assert.Equal(0.5, result.R, 1e-12);
        Assert.Equal(0.25, result.R2, 1e-12);
        Assert.Equal(0.5, result.PerDimension[0], 1e-12);

        // Per country: country X pairs (1, .5), (0, 0), (0, .5): r = 0.5 as well by symmetry.
        Assert.Equal(0.5, result.PerCountry[0], 1e-12);
        Assert.Equal(0.5, result.PerCountry[1], 1e-12);
    }

    [Fact]
    public void Attributes_are_matched_by_name_not_position()
    {
        var countryMajor = new[] { "A:x", "A:y", "B:x", "B:y" };
        var shuffled = new[] { "B:y", "A:x", "B:x", "A:y" };
        var l1 = new RowMajorMatrix(4, 2, [0.9, 0.1, 0.2, 0.8, 0.7, 0.3, 0.1, 0.6]);
        var l2 = new RowMajorMatrix(4, 2, [0.1, 0.6, 0.9, 0.1, 0.7, 0.3, 0.2, 0.8]);
        var r1 = Preservation.Compute(l1, AttributeGrid.TryParse(countryMajor, out _)!);
        var g2 = AttributeGrid.TryParse(shuffled, out _)!;
        Assert.Equal(["B", "A"], g2.Countries);
        Assert.Equal(["y", "x"], g2.Concepts);
        Assert.Equal(1, g2.RowOf(1, 1)); // A:x
        var r2 = Preservation.Compute(l2, g2);
        Assert.Equal(r1.R, r2.R, 1e-12);
        Assert.Equal(r1.PerCountry[0], r2.PerCountry[1], 1e-12);
    }

    [Theory]
    [InlineData(new[] { "A:x", "A:y", "B:x" }, "missing")]
    [InlineData(new[] { "A:x", "B:x", "A:x" }, "more than once")]
    [InlineData(new[] { "A:x", "Bx" }, "country:concept")]
    [InlineData(new[] { "A:x", "A:y" }, "at least two")]
    [InlineData(new[] { ":x", "B:x" }, "country:concept")]
    public void Names_that_are_not_a_full_grid_are_reported(string[] names, string reason)
    {
        Assert.Null(AttributeGrid.TryParse(names, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Fact]
    public void Concept_names_may_contain_colons()
    {
        var grid = AttributeGrid.TryParse(["A:x:1", "B:x:1"], out _);
        Assert.NotNull(grid);
        Assert.Equal(["x:1"], grid.Concepts);
    }
}
