namespace FaceCluster.Tables;

/// <summary>
/// Writes wide tables (<c>seed_id</c>, then one double column per attribute) as Parquet or CSV, atomically
/// (<see cref="AtomicFile"/>). CSV is RFC 4180 with CRLF line ends and round-trip invariant numbers.
/// </summary>
public static class WideTableWriter
{
    /// <summary>Writes Parquet or CSV according to the extension of <paramref name="path"/> (ignoring case).</summary>
    /// <exception cref="ArgumentException">The extension is neither <c>.parquet</c> nor <c>.csv</c>.</exception>
    public static Task WriteAsync(WideTable table, string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (InputFile.HasExtension(path, ".parquet"))
        {
            return WriteParquetAsync(table, path, cancellationToken);
        }

        return InputFile.HasExtension(path, ".csv")
            ? WriteCsvAsync(table, path, cancellationToken)
            : throw new ArgumentException($"{path}: wide tables are written as .parquet or .csv.", nameof(path));
    }

    /// <summary>Writes <paramref name="table"/> as Parquet: a string <c>seed_id</c> column and required double columns.</summary>
    public static Task WriteParquetAsync(WideTable table, string path, CancellationToken cancellationToken = default) =>
        ParquetTableWriter.WriteAsync(path, ToColumns(table), cancellationToken);

    /// <summary>Writes <paramref name="table"/> as CSV with a header row.</summary>
    public static Task WriteCsvAsync(WideTable table, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        return AtomicFile.WriteTextAsync(
            path,
            async (writer, ct) =>
            {
                writer.NewLine = "\r\n";
                await writer.WriteLineAsync(string.Join(',', table.Attributes.Prepend(WideTable.SeedIdColumn).Select(InvariantText.CsvField)))
                    .ConfigureAwait(false);
                var fields = new string[table.ColumnCount + 1];
                for (var i = 0; i < table.RowCount; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    fields[0] = InvariantText.CsvField(table.SeedIds[i]);
                    for (var j = 0; j < table.ColumnCount; j++)
                    {
                        fields[j + 1] = InvariantText.Format(table[i, j]);
                    }

                    await writer.WriteLineAsync(string.Join(',', fields)).ConfigureAwait(false);
                }
            },
            cancellationToken);
    }

    /// <summary>The table as Parquet columns: <c>seed_id</c> (string), then one <c>double[]</c> per attribute.</summary>
    public static IReadOnlyList<ParquetColumn> ToColumns(WideTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = new List<ParquetColumn>(table.ColumnCount + 1)
        {
            new(WideTable.SeedIdColumn, table.SeedIds),
        };
        for (var j = 0; j < table.ColumnCount; j++)
        {
            var values = new double[table.RowCount];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = table[i, j];
            }

            columns.Add(new ParquetColumn(table.Attributes[j], values));
        }

        return columns;
    }
}
