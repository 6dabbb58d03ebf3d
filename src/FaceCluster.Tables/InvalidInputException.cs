namespace FaceCluster.Tables;

/// <summary>
/// Bad input from the user (a missing, unreadable or malformed file). The message is always one line that
/// names the file, the 1-based data row and/or the column where relevant, and what is wrong, for example
/// <c>x.csv: row 17, column "US:Anger": "abc" is not a number</c>. The command line prints it as
/// <c>error: &lt;message&gt;</c> and exits with code 2.
/// </summary>
public sealed class InvalidInputException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public InvalidInputException()
        : base("invalid input")
    {
    }

    /// <summary>Creates an exception; line breaks in <paramref name="message"/> are replaced by spaces.</summary>
    public InvalidInputException(string message)
        : base(OneLine(message))
    {
    }

    /// <summary>Creates an exception with the exception that caused it.</summary>
    public InvalidInputException(string message, Exception innerException)
        : base(OneLine(message), innerException)
    {
    }

    private InvalidInputException(string message, string file, int? row, string? column, Exception? innerException)
        : base(OneLine(message), innerException)
    {
        File = file;
        Row = row;
        Column = column;
    }

    /// <summary>The file (or folder, or label of a computed table) at fault, when known.</summary>
    public string? File { get; }

    /// <summary>The 1-based data row (the header does not count), when relevant.</summary>
    public int? Row { get; }

    /// <summary>The column name, when relevant.</summary>
    public string? Column { get; }

    /// <summary>
    /// Creates the exception for a problem in <paramref name="file"/>, formatted as
    /// <c>FILE: row R, column "C": PROBLEM</c> (the row and column parts only when given).
    /// </summary>
    public static InvalidInputException InFile(
        string file, string problem, int? row = null, string? column = null, Exception? innerException = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(problem);
        var location = (row, column) switch
        {
            (null, null) => string.Empty,
            (int r, null) => $"row {r}: ",
            (null, string c) => $"column \"{c}\": ",
            (int r, string c) => $"row {r}, column \"{c}\": ",
        };
        return new InvalidInputException($"{file}: {location}{problem}", file, row, column, innerException);
    }

    /// <summary>Replaces line breaks by spaces so that a message stays on one line.</summary>
    public static string OneLine(string text) =>
        text.ReplaceLineEndings(" ").Replace('\t', ' ');
}
