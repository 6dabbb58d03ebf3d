using System.Globalization;
using System.Numerics;
using Parquet.Schema;

namespace FaceCluster.Tables;

/// <summary>
/// Reads wide tables (<c>seed_id</c>, then numeric attribute columns) from <c>.parquet</c> or <c>.csv</c> files
/// (extensions matched ignoring case). Every problem is reported as an <see cref="InvalidInputException"/> that
/// names the file and, where relevant, the 1-based data row and the column.
/// </summary>
/// <remarks>
/// Parquet: the first column must be a string column named <c>seed_id</c>; attribute columns may be integer,
/// floating-point or decimal columns (converted to double); nulls are refused. CSV: RFC 4180 with a header row,
/// numbers in the invariant culture; an empty cell is a missing value and refused. Both: see <see cref="WideTable"/>
/// for the checks on ids, names, row count and finiteness.
/// </remarks>
public static class WideTableReader
{
    private static readonly HashSet<Type> NumericTypes =
    [
        typeof(sbyte), typeof(byte), typeof(short), typeof(ushort), typeof(int), typeof(uint),
        typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal),
    ];

    /// <summary>Reads a wide table (synchronously; see <see cref="ReadAsync"/>).</summary>
    /// <exception cref="InvalidInputException">The file is missing, unreadable or not a valid wide table.</exception>
    public static WideTable Read(string path) => ReadAsync(path).GetAwaiter().GetResult();

    /// <summary>Reads a wide table from a <c>.parquet</c> or <c>.csv</c> file.</summary>
    /// <exception cref="InvalidInputException">The file is missing, unreadable or not a valid wide table.</exception>
    public static Task<WideTable> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (InputFile.HasExtension(path, ".parquet"))
        {
            return ReadParquetAsync(path, cancellationToken);
        }

        if (InputFile.HasExtension(path, ".csv"))
        {
            return ReadCsvAsync(path, cancellationToken);
        }

        var extension = Path.GetExtension(path);
        throw InvalidInputException.InFile(
            path,
            $"unsupported file type {(extension.Length == 0 ? "(no extension)" : $"\"{extension}\"")}; wide tables are .parquet or .csv");
    }

    private static async Task<WideTable> ReadParquetAsync(string path, CancellationToken cancellationToken)
    {
        var table = await ParquetTableReader.ReadAsync(path, (fields, rows) => CheckSchema(path, fields, rows), cancellationToken)
            .ConfigureAwait(false);
        var rows = table.RowCount;
        var seedIds = (string?[])table.Columns[0].Values;
        var attributes = table.Columns.Skip(1).Select(c => c.Name).ToArray();
        for (var i = 0; i < rows; i++)
        {
            if (seedIds[i] is null)
            {
                throw InvalidInputException.InFile(path, "missing seed id (null)", i + 1, WideTable.SeedIdColumn);
            }
        }

        var values = new double[(long)rows * attributes.Length];
        (int Row, int Column) firstMissing = (int.MaxValue, 0);
        for (var j = 0; j < attributes.Length; j++)
        {
            var column = table.Columns[j + 1];
            var missingRow = column.ValueType switch
            {
                Type t when t == typeof(sbyte) => CopyNumbers<sbyte>(column, values, j, attributes.Length),
                Type t when t == typeof(byte) => CopyNumbers<byte>(column, values, j, attributes.Length),
                Type t when t == typeof(short) => CopyNumbers<short>(column, values, j, attributes.Length),
                Type t when t == typeof(ushort) => CopyNumbers<ushort>(column, values, j, attributes.Length),
                Type t when t == typeof(int) => CopyNumbers<int>(column, values, j, attributes.Length),
                Type t when t == typeof(uint) => CopyNumbers<uint>(column, values, j, attributes.Length),
                Type t when t == typeof(long) => CopyNumbers<long>(column, values, j, attributes.Length),
                Type t when t == typeof(ulong) => CopyNumbers<ulong>(column, values, j, attributes.Length),
                Type t when t == typeof(float) => CopyNumbers<float>(column, values, j, attributes.Length),
                Type t when t == typeof(double) => CopyNumbers<double>(column, values, j, attributes.Length),
                Type t when t == typeof(decimal) => CopyNumbers<decimal>(column, values, j, attributes.Length),
                _ => throw new InvalidOperationException($"Column type {column.ValueType} passed the schema check."),
            };
            if (missingRow < firstMissing.Row)
            {
                firstMissing = (missingRow, j);
            }
        }

        if (firstMissing.Row != int.MaxValue)
        {
            // The first null in row-major order, as the CSV reader would meet it.
            throw InvalidInputException.InFile(path, "missing value (null)", firstMissing.Row + 1, attributes[firstMissing.Column]);
        }

        return new WideTable(seedIds!, attributes, values, path);
    }

    private static void CheckSchema(string path, IReadOnlyList<DataField> fields, long rows)
    {
        // Before any column is decoded: a table far over the limits is refused without allocating it.
        InputLimits.CheckWideShape(path, rows, fields.Count - 1);
        var first = fields[0];
        if (first.Name != WideTable.SeedIdColumn)
        {
            throw InvalidInputException.InFile(path, $"the first column must be \"{WideTable.SeedIdColumn}\", found \"{first.Name}\"");
        }

        if (ParquetColumnCodec.ValueTypeOf(first) != typeof(string))
        {
            throw InvalidInputException.InFile(
                path, $"must be a string column, found {ParquetColumnCodec.ValueTypeOf(first).Name}", column: first.Name);
        }

        foreach (var field in fields.Skip(1))
        {
            var type = ParquetColumnCodec.ValueTypeOf(field);
            if (!NumericTypes.Contains(type))
            {
                throw InvalidInputException.InFile(
                    path, $"not a numeric column ({type.Name}); attribute columns must hold numbers", column: field.Name);
            }
        }
    }

    /// <summary>Converts one column into <paramref name="values"/>; returns the first row with a null, or <see cref="int.MaxValue"/>.</summary>
    private static int CopyNumbers<T>(ParquetColumn column, double[] values, int j, int width)
        where T : struct, INumberBase<T>
    {
        if (column.Values is T[] plain)
        {
            for (var i = 0; i < plain.Length; i++)
            {
                values[((long)i * width) + j] = double.CreateTruncating(plain[i]);
            }

            return int.MaxValue;
        }

        var nullable = (T?[])column.Values;
        for (var i = 0; i < nullable.Length; i++)
        {
            if (nullable[i] is not T value)
            {
                return i;
            }

            values[((long)i * width) + j] = double.CreateTruncating(value);
        }

        return int.MaxValue;
    }

    private static async Task<WideTable> ReadCsvAsync(string path, CancellationToken cancellationToken)
    {
        InputFile.RequireExisting(path);
        var length = new FileInfo(path).Length;
        if (length > InputLimits.MaxCsvBytes)
        {
            throw InvalidInputException.InFile(path, $"{length} bytes; CSV wide tables are read whole and the limit is {InputLimits.MaxCsvBytes} bytes (write Parquet instead; docs/limits.md)");
        }

        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InvalidInputException.InFile(path, $"cannot be read ({InputFile.Brief(e.Message)})", innerException: e);
        }

        var records = CsvParser.Parse(text, path);
        if (records.Count == 0)
        {
            throw InvalidInputException.InFile(path, $"empty file; a header row starting with {WideTable.SeedIdColumn} is needed");
        }

        var header = records[0];
        if (header[0] != WideTable.SeedIdColumn)
        {
            throw InvalidInputException.InFile(path, $"the first column must be \"{WideTable.SeedIdColumn}\", found \"{header[0]}\"");
        }

        var attributes = header[1..];
        var rows = records.Count - 1;
        InputLimits.CheckWideShape(path, rows, attributes.Length);
        var seedIds = new string[rows];
        var values = new double[(long)rows * attributes.Length];
        for (var i = 0; i < rows; i++)
        {
            var record = records[i + 1];
            if (record.Length != header.Length)
            {
                throw InvalidInputException.InFile(
                    path, $"{record.Length} fields, but the header has {header.Length}", i + 1);
            }

            seedIds[i] = record[0];
            for (var j = 0; j < attributes.Length; j++)
            {
                var cell = record[j + 1];
                if (cell.Length == 0)
                {
                    throw InvalidInputException.InFile(path, "empty cell (missing value)", i + 1, attributes[j]);
                }

                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    throw InvalidInputException.InFile(path, $"\"{cell}\" is not a number", i + 1, attributes[j]);
                }

                values[((long)i * attributes.Length) + j] = value;
            }
        }

        return new WideTable(seedIds, attributes, values, path);
    }
}
