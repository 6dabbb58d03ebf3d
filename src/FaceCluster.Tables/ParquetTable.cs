namespace FaceCluster.Tables;

/// <summary>A flat table of named, typed columns of equal length, as read by <see cref="ParquetTableReader"/>.</summary>
public sealed class ParquetTable
{
    /// <summary>Creates a table.</summary>
    /// <exception cref="ArgumentException">The columns differ in length or share a name.</exception>
    public ParquetTable(IReadOnlyList<ParquetColumn> columns, string sourcePath)
    {
        ArgumentNullException.ThrowIfNull(sourcePath);
        RowCount = CheckColumns(columns);
        Columns = columns;
        SourcePath = sourcePath;
    }

    /// <summary>The columns, in file order.</summary>
    public IReadOnlyList<ParquetColumn> Columns { get; }

    /// <summary>The number of rows.</summary>
    public int RowCount { get; }

    /// <summary>The file the table was read from.</summary>
    public string SourcePath { get; }

    /// <summary>The column named <paramref name="name"/> (ordinal comparison), or <see langword="null"/>.</summary>
    public ParquetColumn? FindColumn(string name) => Columns.FirstOrDefault(c => c.Name == name);

    /// <summary>Checks that columns have distinct names and equal lengths; returns the length.</summary>
    internal static int CheckColumns(IReadOnlyList<ParquetColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in columns)
        {
            ArgumentNullException.ThrowIfNull(column, nameof(columns));
            if (!names.Add(column.Name))
            {
                throw new ArgumentException($"Two columns are named \"{column.Name}\".", nameof(columns));
            }

            if (column.Length != columns[0].Length)
            {
                throw new ArgumentException(
                    $"Column \"{column.Name}\" has {column.Length} values, \"{columns[0].Name}\" has {columns[0].Length}.",
                    nameof(columns));
            }
        }

        return columns.Count == 0 ? 0 : columns[0].Length;
    }
}
