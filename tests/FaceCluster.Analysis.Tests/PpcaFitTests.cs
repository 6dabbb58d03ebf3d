namespace FaceCluster.Analysis.Tests;

public class PpcaFitTests
{
    // x~ = (-1, 0), (1, -2), (0, 2); y~ = (-1, -1), (1, -1), (0, 2): C = [[1, 0], [-1, 3]], S = [[1, -1/2], [-1/2, 3]].
    private static readonly RowMajorMatrix X = RowMajorMatrix.FromRows([[1, 2], [3, 0], [2, 4]]);
    private static readonly RowMajorMatrix Y = RowMajorMatrix.FromRows([[0, 1], [2, 1], [1, 4]]);

    [Fact]
    public void Fit_matches_the_hand_computed_cross_covariance()
    {
        var fit = PpcaFit.Fit(X, Y);
        Assert.Equal([2.0, 2.0], fit.MeanX);
        Assert.Equal([1.0, 2.0], fit.MeanY);
        Assert.Equal(2 + Math.Sqrt(1.25), fit.Eigenvalues[0], 1e-12);
        Assert.Equal(2 - Math.Sqrt(1.25), fit.Eigenvalues[1], 1e-12);

        // (S - l1) v = 0 gives v ~ (1, -(2 + sqrt 5)); the larger entry is made positive.
        var norm = Math.Sqrt(1 + Math.Pow(2 + Math.Sqrt(5), 2));
        Assert.Equal(-1 / norm, fit.Components[0, 0], 1e-12);
        Assert.Equal((2 + Math.Sqrt(5)) / norm, fit.Components[1, 0], 1e-12);
    }

    [Fact]
    public void Weights_are_copies_of_rows()
    {
        var weighted = PpcaFit.Fit(X, Y, [2, 1, 3]);
        var expanded = PpcaFit.Fit(X.SelectRows([0, 0, 1, 2, 2, 2]), Y.SelectRows([0, 0, 1, 2, 2, 2]));
        Assert.Equal(6, weighted.TotalWeight);
        for (var j = 0; j < 2; j++)
        {
            Assert.Equal(expanded.Eigenvalues[j], weighted.Eigenvalues[j], 1e-12);
            Assert.Equal(expanded.MeanX[j], weighted.MeanX[j], 1e-12);
            for (var a = 0; a < 2; a++)
            {
                Assert.Equal(expanded.Components[a, j], weighted.Components[a, j], 1e-12);
            }
        }
    }

    [Fact]
    public void Other_fits_are_oriented_along_the_reference()
    {
        var fit = PpcaFit.Fit(X, Y);
        var flipped = fit.Components.Clone();
        for (var a = 0; a < 2; a++)
        {
            flipped[a, 0] = -flipped[a, 0];
        }

        var oriented = PpcaFit.Fit(X, Y, reference: flipped);
        Assert.Equal(-fit.Components[1, 0], oriented.Components[1, 0]);
        Assert.Equal(fit.Components[1, 1], oriented.Components[1, 1]);
    }
}
