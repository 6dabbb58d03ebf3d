namespace FaceCluster.Tables;

/// <summary>
/// The largest inputs the readers accept (docs/limits.md, "Inputs"). Each is checked before the data is allocated,
/// so that a table or file far beyond what the analysis is for is refused with one line instead of exhausting memory,
/// overflowing an index or occupying a worker for minutes. The paper's tables have a few thousand rows and a few
/// hundred columns; the limits leave more than ten times that room.
/// </summary>
public static class InputLimits
{
    /// <summary>Most attribute columns of a wide table (X, Y, targets, judgments), and most columns of a study table.</summary>
    public const int MaxColumns = 4096;

    /// <summary>Most data rows of a wide table (one per seed).</summary>
    public const int MaxRows = 1_000_000;

    /// <summary>Most cells (rows times attribute columns) of a wide table: 64 million doubles, 512 MB.</summary>
    public const long MaxCells = 64L * 1024 * 1024;

    /// <summary>Largest CSV file that is read whole into memory (wide tables), in bytes: 512 MiB.</summary>
    public const long MaxCsvBytes = 512L * 1024 * 1024;

    /// <summary>
    /// Largest sum of squares of a wide table's centred values, per column and over all columns. The analysis multiplies
    /// such sums with each other (cross products, their squares in eigen solvers, resampled rows counted many times),
    /// so sums near the double limit (about 1.8e308) would end in infinity or NaN; 1e120 (values up to about 1e57)
    /// leaves that room and is far beyond any rating or network output.
    /// </summary>
    public const double MaxSumOfSquares = 1e120;

    /// <summary>Throws when a table of <paramref name="columns"/> attribute columns and <paramref name="rows"/> rows is over the limits.</summary>
    /// <exception cref="InvalidInputException">A limit is exceeded; the message names <paramref name="path"/> and the limit.</exception>
    public static void CheckWideShape(string path, long rows, long columns)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (columns > MaxColumns)
        {
            throw InvalidInputException.InFile(path, $"{columns} attribute columns; the limit is {MaxColumns} (docs/limits.md)");
        }

        if (rows > MaxRows)
        {
            throw InvalidInputException.InFile(path, $"{rows} data rows; the limit is {MaxRows} (docs/limits.md)");
        }

        if (rows * columns > MaxCells)
        {
            throw InvalidInputException.InFile(
                path, $"{rows} rows x {columns} columns = {rows * columns} values; the limit is {MaxCells} (docs/limits.md)");
        }
    }
}
