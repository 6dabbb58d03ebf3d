using Parquet;
using Parquet.Schema;

namespace FaceCluster.Tables;

/// <summary>
/// Writes flat Parquet tables from named, typed columns. The file is written to a temporary file in the same folder
/// and renamed over <c>path</c> at the end (<see cref="AtomicFile"/>), so readers never see half a table.
/// </summary>
public static class ParquetTableWriter
{
    /// <summary>The default number of rows per row group.</summary>
    public const int DefaultRowsPerGroup = 1_000_000;

    /// <summary>Writes <paramref name="columns"/> (distinct names, equal lengths) to <paramref name="path"/>.</summary>
    public static Task WriteAsync(string path, IReadOnlyList<ParquetColumn> columns, CancellationToken cancellationToken = default) =>
        WriteAsync(path, columns, DefaultRowsPerGroup, cancellationToken);

    /// <summary>Writes <paramref name="columns"/>, starting a new row group every <paramref name="rowsPerGroup"/> rows.</summary>
    /// <exception cref="ArgumentException">No columns, columns of different lengths or with the same name.</exception>
    public static Task WriteAsync(
        string path, IReadOnlyList<ParquetColumn> columns, int rowsPerGroup, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerGroup, 1);
        var rows = ParquetTable.CheckColumns(columns);
        if (columns.Count == 0)
        {
            throw new ArgumentException("A table needs at least one column.", nameof(columns));
        }

        var fields = columns.Select(c => new DataField(c.Name, c.ValueType, c.IsNullable)).ToArray();
        var codecs = columns.Select(c => ParquetColumnCodec.For(c.ValueType)!).ToArray();
        return AtomicFile.WriteAsync(
            path,
            async (stream, ct) =>
            {
                var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, null, false, ct).ConfigureAwait(false);
                await using (writer.ConfigureAwait(false))
                {
                    // A table with no rows still gets one (empty) row group, so that its schema is complete.
                    for (var start = 0; start < rows || start == 0; start += rowsPerGroup)
                    {
                        var count = Math.Min(rowsPerGroup, rows - start);
                        using var group = writer.CreateRowGroup();
                        for (var j = 0; j < fields.Length; j++)
                        {
                            await codecs[j].WriteAsync(group, fields[j], columns[j].Values, start, count, ct).ConfigureAwait(false);
                        }

                        group.CompleteValidate();
                    }
                }
            },
            cancellationToken);
    }
}
