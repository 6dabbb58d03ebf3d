namespace FaceCluster.Analysis;

/// <summary>
/// A dense real matrix stored row by row in one array: entry (i, j) is <c>Values[i * Columns + j]</c>.
/// Rows are stimuli and columns attributes throughout FaceCluster, so a row is a contiguous span.
/// </summary>
public sealed class RowMajorMatrix
{
    /// <summary>Creates a zero matrix.</summary>
    public RowMajorMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        Values = new double[checked(rows * columns)];
    }

    /// <summary>Wraps <paramref name="values"/> (not copied) as a <paramref name="rows"/> x <paramref name="columns"/> matrix.</summary>
    public RowMajorMatrix(int rows, int columns, double[] values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)rows * columns)
        {
            throw new ArgumentException($"Expected {rows} x {columns} = {(long)rows * columns} values, got {values.Length}.", nameof(values));
        }

        Rows = rows;
        Columns = columns;
        Values = values;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>The entries, row by row.</summary>
    public double[] Values { get; }

    /// <summary>Entry (row, column).</summary>
    public double this[int row, int column]
    {
        get => Values[(row * Columns) + column];
        set => Values[(row * Columns) + column] = value;
    }

    /// <summary>Row <paramref name="row"/> as a span over the storage.</summary>
    public Span<double> Row(int row) => Values.AsSpan(row * Columns, Columns);

    /// <summary>Copies column <paramref name="column"/> into a new array.</summary>
    public double[] Column(int column)
    {
        var result = new double[Rows];
        for (var i = 0; i < Rows; i++)
        {
            result[i] = Values[(i * Columns) + column];
        }

        return result;
    }

    /// <summary>Builds a matrix from rows of equal length.</summary>
    public static RowMajorMatrix FromRows(IReadOnlyList<double[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = rows.Count == 0 ? 0 : rows[0].Length;
        var m = new RowMajorMatrix(rows.Count, columns);
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != columns)
            {
                throw new ArgumentException($"Row {i} has {rows[i].Length} values, expected {columns}.", nameof(rows));
            }

            rows[i].CopyTo(m.Row(i));
        }

        return m;
    }

    /// <summary>A deep copy.</summary>
    public RowMajorMatrix Clone() => new(Rows, Columns, (double[])Values.Clone());

    /// <summary>The rows listed in <paramref name="rowIndices"/>, in that order (repeats allowed).</summary>
    public RowMajorMatrix SelectRows(ReadOnlySpan<int> rowIndices)
    {
        var m = new RowMajorMatrix(rowIndices.Length, Columns);
        for (var i = 0; i < rowIndices.Length; i++)
        {
            Row(rowIndices[i]).CopyTo(m.Row(i));
        }

        return m;
    }

    /// <summary>The first <paramref name="count"/> columns.</summary>
    public RowMajorMatrix LeadingColumns(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Columns);
        var m = new RowMajorMatrix(Rows, count);
        for (var i = 0; i < Rows; i++)
        {
            Row(i)[..count].CopyTo(m.Row(i));
        }

        return m;
    }
}
