using Parquet;
using Parquet.Schema;

namespace FaceCluster.Tables;

/// <summary>Reads any flat Parquet table: every row group, every column of a supported type (see <see cref="ParquetColumn"/>).</summary>
public static class ParquetTableReader
{
    // Dates (the DATE logical type) come back as DateOnly, as they were written, rather than as DateTime.
    private static readonly ParquetOptions Options = new() { UseDateOnlyTypeForDates = true };

    /// <summary>Reads the whole table (synchronously; see <see cref="ReadAllAsync"/>).</summary>
    /// <exception cref="InvalidInputException">The file is missing, unreadable, nested, or holds an unsupported column type.</exception>
    public static ParquetTable ReadAll(string path) => ReadAllAsync(path).GetAwaiter().GetResult();

    /// <summary>
    /// Reads the whole table. Required columns come back as <c>T[]</c>, optional ones as <c>T?[]</c>, strings as
    /// <c>string?[]</c>. Library and I/O errors become one-line <see cref="InvalidInputException"/>s:
    /// <c>x.parquet: not a readable Parquet file (…)</c>.
    /// </summary>
    /// <exception cref="InvalidInputException">The file is missing, unreadable, nested, or holds an unsupported column type.</exception>
    public static Task<ParquetTable> ReadAllAsync(string path, CancellationToken cancellationToken = default) =>
        ReadAsync(path, checkSchema: null, cancellationToken);

    /// <summary>Reads the whole table after <paramref name="checkSchema"/> has accepted its (non-empty) list of columns and its row count.</summary>
    internal static async Task<ParquetTable> ReadAsync(
        string path, Action<IReadOnlyList<DataField>, long>? checkSchema, CancellationToken cancellationToken)
    {
        InputFile.RequireExisting(path);
        try
        {
            var reader = await ParquetReader.CreateAsync(path, Options, cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var fields = FlatFields(path, reader.Schema);
                var rows = reader.RowGroups.Sum(g => g.RowCount);
                checkSchema?.Invoke(fields, rows);
                if (rows > Array.MaxLength)
                {
                    throw InvalidInputException.InFile(path, $"{rows} rows are more than one table can hold in memory");
                }

                var columns = new ParquetColumn[fields.Count];
                for (var j = 0; j < fields.Count; j++)
                {
                    var codec = ParquetColumnCodec.For(ParquetColumnCodec.ValueTypeOf(fields[j]))!;
                    var values = await codec.ReadAsync(reader, fields[j], (int)rows, cancellationToken).ConfigureAwait(false);
                    columns[j] = new ParquetColumn(fields[j].Name, values);
                }

                return new ParquetTable(columns, path);
            }
        }
        catch (Exception e) when (e is not (InvalidInputException or OperationCanceledException))
        {
            // Parquet.Net reports damaged files with many exception types (IOException, ThriftProtocolException,
            // ParquetException, argument and index errors from decoding); all of them mean the same to the user. A damaged
            // page header can claim gigabytes, which ends in OutOfMemoryException: also the file's fault.
            throw InvalidInputException.InFile(path, $"not a readable Parquet file ({InputFile.Brief(e.Message)})", innerException: e);
        }
    }

    private static List<DataField> FlatFields(string path, ParquetSchema schema)
    {
        if (schema.Fields.Count == 0)
        {
            throw InvalidInputException.InFile(path, "the Parquet file has no columns");
        }

        var fields = new List<DataField>(schema.Fields.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in schema.Fields)
        {
            if (field is not DataField data || data.IsArray)
            {
                throw InvalidInputException.InFile(path, "a nested (list, map or struct) column; only flat tables are supported", column: field.Name);
            }

            if (!ParquetColumnCodec.IsSupported(ParquetColumnCodec.ValueTypeOf(data)))
            {
                throw InvalidInputException.InFile(path, $"column type {data.ClrType.Name} is not supported", column: field.Name);
            }

            if (!names.Add(data.Name))
            {
                throw InvalidInputException.InFile(path, "duplicate column name", column: field.Name);
            }

            fields.Add(data);
        }

        return fields;
    }
}
