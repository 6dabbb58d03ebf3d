using MathNet.Numerics.LinearAlgebra;

namespace FaceCluster.Analysis;

/// <summary>
/// Eigendecomposition <c>S = V diag(values) V^T</c> of a real symmetric matrix, eigenvalues in
/// descending order, eigenvectors as the columns of <see cref="Vectors"/>.
/// </summary>
public sealed class SymmetricEigen
{
    private SymmetricEigen(double[] values, RowMajorMatrix vectors)
    {
        Values = values;
        Vectors = vectors;
    }

    /// <summary>Eigenvalues, largest first.</summary>
    public double[] Values { get; }

    /// <summary><c>p x p</c>; column <c>j</c> is the unit eigenvector of <c>Values[j]</c>.</summary>
    public RowMajorMatrix Vectors { get; }

    /// <summary>
    /// Decomposes the symmetric <paramref name="symmetric"/> (only its values are read; it is not
    /// symmetrised here). Uses Math.NET's managed tridiagonal QL, which is deterministic.
    /// </summary>
    public static SymmetricEigen Decompose(RowMajorMatrix symmetric)
    {
        ArgumentNullException.ThrowIfNull(symmetric);
        var p = symmetric.Rows;
        if (symmetric.Columns != p)
        {
            throw new ArgumentException("The matrix must be square.", nameof(symmetric));
        }

        var m = Matrix<double>.Build.Dense(p, p, (i, j) => symmetric[i, j]);
        var evd = m.Evd(Symmetricity.Symmetric);
        var ascendingValues = evd.EigenValues;
        var ascendingVectors = evd.EigenVectors;
        var values = new double[p];
        var vectors = new RowMajorMatrix(p, p);
        for (var j = 0; j < p; j++)
        {
            var source = p - 1 - j;
            values[j] = ascendingValues[source].Real;
            for (var i = 0; i < p; i++)
            {
                vectors[i, j] = ascendingVectors[i, source];
            }
        }

        return new SymmetricEigen(values, vectors);
    }

    /// <summary>
    /// Sign rule of an all-rows fit (analysis.md section 1.5): flips each column so that its entry of
    /// largest absolute value (lowest index on ties) is positive.
    /// </summary>
    public static void OrientByLargestEntry(RowMajorMatrix vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        for (var j = 0; j < vectors.Columns; j++)
        {
            var best = 0;
            var bestAbs = -1.0;
            for (var i = 0; i < vectors.Rows; i++)
            {
                var a = Math.Abs(vectors[i, j]);
                if (a > bestAbs)
                {
                    bestAbs = a;
                    best = i;
                }
            }

            if (vectors[best, j] < 0)
            {
                NegateColumn(vectors, j);
            }
        }
    }

    /// <summary>
    /// Sign rule of every other fit (section 1.5): flips column <c>j</c> of <paramref name="vectors"/> so
    /// that its dot product with column <c>j</c> of <paramref name="reference"/> is non-negative, for the
    /// first <paramref name="columns"/> columns.
    /// </summary>
    public static void OrientAlong(RowMajorMatrix vectors, RowMajorMatrix reference, int columns)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(reference);
        for (var j = 0; j < columns; j++)
        {
            var dot = 0.0;
            for (var i = 0; i < vectors.Rows; i++)
            {
                dot += vectors[i, j] * reference[i, j];
            }

            if (dot < 0)
            {
                NegateColumn(vectors, j);
            }
        }
    }

    private static void NegateColumn(RowMajorMatrix vectors, int j)
    {
        for (var i = 0; i < vectors.Rows; i++)
        {
            vectors[i, j] = -vectors[i, j];
        }
    }
}
