namespace FaceCluster.Tables;

/// <summary>
/// Checks on numbers that the analysis would otherwise turn silently into NaN or infinity: non-finite cells, columns
/// whose centred sums of squares overflow (<see cref="InputLimits.MaxSumOfSquares"/>), and non-finite results before
/// a stage writes them. Each is one or two passes over data already in memory.
/// </summary>
public static class ValueChecks
{
    /// <summary>
    /// Checks a row-major table of <paramref name="columns"/>.Length columns: every value finite, and the sum of
    /// squares of each column after subtracting its mean (as the analysis centres) and their total at most
    /// <see cref="InputLimits.MaxSumOfSquares"/>.
    /// </summary>
    /// <param name="path">The file (or label of a computed table), named in the message.</param>
    /// <param name="columns">The column names.</param>
    /// <param name="values">Row-major values.</param>
    /// <exception cref="InvalidInputException">A value is NaN or infinite (naming its row and column), or a sum of squares is too large (naming the column and the row of its largest centred value).</exception>
    public static void CheckInput(string path, IReadOnlyList<string> columns, ReadOnlySpan<double> values)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(columns);
        var p = columns.Count;
        if (p == 0 || values.IsEmpty)
        {
            return;
        }

        var n = values.Length / p;
        var sums = new double[p];
        for (var i = 0; i < n; i++)
        {
            var row = values.Slice(i * p, p);
            for (var j = 0; j < p; j++)
            {
                sums[j] += row[j];
            }
        }

        // A non-finite value makes its column's sum non-finite, so the cell-by-cell search runs only then.
        for (var j = 0; j < p; j++)
        {
            if (!double.IsFinite(sums[j]))
            {
                for (var i = 0; i < n; i++)
                {
                    var v = values[(i * p) + j];
                    if (!double.IsFinite(v))
                    {
                        throw InvalidInputException.InFile(
                            path, $"{InvariantText.Format(v)} is not allowed; values must be finite numbers", i + 1, columns[j]);
                    }
                }
            }
        }

        var means = new double[p];
        for (var j = 0; j < p; j++)
        {
            means[j] = double.IsFinite(sums[j]) ? sums[j] / n : Mean(values, p, j);
        }

        var squares = new double[p];
        for (var i = 0; i < n; i++)
        {
            var row = values.Slice(i * p, p);
            for (var j = 0; j < p; j++)
            {
                var d = row[j] - means[j];
                squares[j] += d * d;
            }
        }

        var total = 0.0;
        for (var j = 0; j < p; j++)
        {
            if (!(squares[j] <= InputLimits.MaxSumOfSquares))
            {
                var (row, value) = Largest(values, p, j, means[j]);
                throw InvalidInputException.InFile(
                    path,
                    $"values too large for the analysis: the column's centred sum of squares is {Describe(squares[j])}, over the limit of " +
                    $"{InvariantText.Format(InputLimits.MaxSumOfSquares)} (its largest value, {InvariantText.Format(value)}, is in row {row + 1}); docs/limits.md",
                    column: columns[j]);
            }

            total += squares[j];
        }

        if (!(total <= InputLimits.MaxSumOfSquares))
        {
            throw InvalidInputException.InFile(
                path,
                $"values too large for the analysis: the centred sums of squares of all columns add up to {Describe(total)}, over the limit of " +
                $"{InvariantText.Format(InputLimits.MaxSumOfSquares)}; docs/limits.md");
        }
    }

    /// <summary>
    /// Throws when a result about to be written holds NaN or infinity, so that no output with silent wrong numbers is
    /// written; the message names the stage, the table, the column and the first such row.
    /// </summary>
    /// <param name="stage">The stage (for example <c>ppca bootstrap</c>).</param>
    /// <param name="table">The table being written (its file name).</param>
    /// <param name="column">The column.</param>
    /// <param name="values">The column's values.</param>
    /// <exception cref="InvalidInputException">A value is NaN or infinite.</exception>
    public static void RequireFiniteResult(string stage, string table, string column, ReadOnlySpan<double> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw NonFinite(stage, table, column, i, values[i]);
            }
        }
    }

    /// <summary>Throws when any double column of <paramref name="columns"/> holds NaN or infinity; see <see cref="RequireFiniteResult(string, string, string, ReadOnlySpan{double})"/>.</summary>
    /// <exception cref="InvalidInputException">A value is NaN or infinite.</exception>
    public static void RequireFiniteResult(string stage, string table, IEnumerable<ParquetColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        foreach (var column in columns)
        {
            if (column.Values is double[] values)
            {
                RequireFiniteResult(stage, table, column.Name, values);
            }
            else if (column.Values is float[] singles)
            {
                for (var i = 0; i < singles.Length; i++)
                {
                    if (!float.IsFinite(singles[i]))
                    {
                        throw NonFinite(stage, table, column.Name, i, singles[i]);
                    }
                }
            }
        }
    }

    private static InvalidInputException NonFinite(string stage, string table, string column, int index, double value) =>
        new($"{stage}: {table}: row {index + 1}, column \"{column}\": the result is {InvariantText.Format(value)}, not a finite number " +
            "(the inputs are degenerate or too large for the analysis); nothing was written");

    private static double Mean(ReadOnlySpan<double> values, int p, int j)
    {
        // Only for columns whose plain sum overflowed: scaled so that finite values cannot overflow.
        var n = values.Length / p;
        var mean = 0.0;
        for (var i = 0; i < n; i++)
        {
            mean += values[(i * p) + j] / n;
        }

        return mean;
    }

    private static (int Row, double Value) Largest(ReadOnlySpan<double> values, int p, int j, double mean)
    {
        var n = values.Length / p;
        var (row, largest) = (0, -1.0);
        for (var i = 0; i < n; i++)
        {
            var d = Math.Abs(values[(i * p) + j] - mean);
            if (!(d <= largest))
            {
                (row, largest) = (i, d);
                if (double.IsNaN(d) || double.IsInfinity(d))
                {
                    break;
                }
            }
        }

        return (row, values[(row * p) + j]);
    }

    private static string Describe(double sum) => double.IsFinite(sum) ? InvariantText.Format(sum) : "beyond the double range";
}
