using System.Globalization;
using System.Numerics;
using FaceCluster.Tables;

namespace FaceCluster.Studies;

/// <summary>Whether a table column holds text or numbers.</summary>
internal enum ColumnKind
{
    Text,
    Number,
}

/// <summary>A column a study table reader looks for.</summary>
internal sealed record ColumnSpec(string Name, ColumnKind Kind, bool Required);

/// <summary>The state of one numeric cell.</summary>
internal enum NumberState : byte
{
    Present,
    Missing,
    NotNumber,
}

/// <summary>One numeric column of a batch: values, their states and, for CSV cells that are not numbers, the text.</summary>
internal sealed class NumberColumn(int rows)
{
    public double[] Values { get; } = new double[rows];

    public NumberState[] States { get; } = new NumberState[rows];

    /// <summary>The text of cells that are not numbers (CSV only; allocated on first use).</summary>
    public string?[]? Texts { get; set; }
}

/// <summary>A run of consecutive rows of a study table, column by column.</summary>
internal sealed class TableBatch(long firstRow, int count, int columns)
{
    /// <summary>The 1-based row number of the first row of the batch.</summary>
    public long FirstRow { get; } = firstRow;

    public int Count { get; } = count;

    /// <summary>
    /// Per spec column: <c>string?[]</c> (text; or what the reader's converter made of it), <see cref="NumberColumn"/>
    /// (number) or null (absent optional column). Text arrays may be longer than <see cref="Count"/>.
    /// </summary>
    public object?[] Columns { get; } = new object?[columns];

    /// <summary>Rows to skip, with what is wrong (CSV rows with the wrong number of fields); null when none.</summary>
    public List<(int Index, string Message)>? Malformed { get; set; }

    public string?[] Text(int column) => (string?[])Columns[column]!;

    public NumberColumn? Number(int column) => (NumberColumn?)Columns[column];
}

/// <summary>Turns the text of column <c>column</c> (a spec index) of a batch of <c>count</c> rows into a compact form.</summary>
internal delegate object TextConverter(int column, string?[] values, int count);

/// <summary>
/// Reads a study table (Parquet or CSV) in batches of rows, only the columns asked for: a Parquet row group, or
/// <see cref="CsvBatchRows"/> CSV records, at a time (the next CSV batch is parsed in the background while the
/// caller works on the current one). Extra columns are ignored.
/// </summary>
/// <remarks>
/// Parquet columns are decoded in parallel. A <see cref="TextConverter"/> runs on the decoding thread as soon as a
/// text column is decoded, so that the strings Parquet.Net makes (one object per value) can be dropped at once
/// in favour of codes or hashes: a batch then holds what the converter keeps, not six strings per row.
/// </remarks>
internal sealed class TableBatchReader : IAsyncDisposable
{
    /// <summary>CSV records per batch.</summary>
    public const int CsvBatchRows = 1 << 16;

    private static readonly HashSet<Type> NumericTypes =
    [
        typeof(sbyte), typeof(byte), typeof(short), typeof(ushort), typeof(int), typeof(uint),
        typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal),
    ];

    private readonly ColumnSpec[] _specs;
    private readonly TextConverter? _convert;
    private readonly ParquetStreamingReader? _parquet;
    private readonly CsvRecordReader? _csv;
    private readonly int[] _csvIndex;
    private readonly int _csvWidth;
    private Task<TableBatch?>? _next;
    private int _group;
    private long _rowsRead;
    private bool _finished;

    private TableBatchReader(
        ColumnSpec[] specs, string file, ParquetStreamingReader? parquet, CsvRecordReader? csv, int[] csvIndex, int csvWidth, TextConverter? convert)
    {
        _specs = specs;
        _convert = convert;
        File = file;
        _parquet = parquet;
        _csv = csv;
        _csvIndex = csvIndex;
        _csvWidth = csvWidth;
        Present = parquet is not null
            ? [.. specs.Select(s => parquet.FindColumn(s.Name) is not null)]
            : [.. csvIndex.Select(i => i >= 0)];
    }

    /// <summary>The file name used in problems.</summary>
    public string File { get; }

    /// <summary>Whether each spec column is in the file.</summary>
    public bool[] Present { get; }

    /// <summary>Progress units done: rows (Parquet) or bytes (CSV).</summary>
    public long Completed => _parquet is not null ? _rowsRead : _csv!.BytesRead;

    /// <summary>Progress units in all: rows (Parquet) or bytes (CSV).</summary>
    public long Total => _parquet?.RowCount ?? _csv!.Length;

    /// <summary>Whether progress counts rows (Parquet) rather than bytes (CSV).</summary>
    public bool CountsRows => _parquet is not null;

    /// <summary>Reports a table of more than <see cref="InputLimits.MaxColumns"/> columns (every CSV row would be split into that many fields).</summary>
    private static bool TooWide(int columns, string file, StudyProblemLog log)
    {
        if (columns <= InputLimits.MaxColumns)
        {
            return false;
        }

        log.Error(StudyProblemKind.TableUnreadable, file, null, null, $"{columns} columns; the limit is {InputLimits.MaxColumns} (docs/limits.md)");
        return true;
    }

    /// <summary>
    /// Opens <paramref name="path"/> and checks its columns; adds a problem for every missing required column or
    /// column of the wrong type, or more than <see cref="InputLimits.MaxColumns"/> columns, and returns null if there is
    /// any, or if the file cannot be read.
    /// </summary>
    public static async Task<TableBatchReader?> OpenAsync(
        string path, string file, ColumnSpec[] specs, StudyProblemLog log, CancellationToken cancellationToken, TextConverter? convert = null)
    {
        try
        {
            if (path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
            {
                var parquet = await ParquetStreamingReader.OpenAsync(path, cancellationToken).ConfigureAwait(false);
                if (TooWide(parquet.Columns.Count, file, log))
                {
                    await parquet.DisposeAsync().ConfigureAwait(false);
                    return null;
                }

                if (CheckParquet(parquet, file, specs, log))
                {
                    return new TableBatchReader(specs, file, parquet, null, [], 0, convert);
                }

                await parquet.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            var csv = CsvRecordReader.Open(path);
            var header = new List<string>();
            if (!csv.TryReadRecord(header))
            {
                log.Error(StudyProblemKind.TableUnreadable, file, null, null, $"empty file; a header row with {string.Join(", ", specs.Where(s => s.Required).Select(s => s.Name))} is needed");
                csv.Dispose();
                return null;
            }

            if (TooWide(header.Count, file, log))
            {
                csv.Dispose();
                return null;
            }

            var index = new int[specs.Length];
            var ok = true;
            for (var j = 0; j < specs.Length; j++)
            {
                index[j] = header.IndexOf(specs[j].Name);
                if (index[j] < 0 && specs[j].Required)
                {
                    log.Error(StudyProblemKind.ColumnMissing, file, null, specs[j].Name, "required column not found in the header row");
                    ok = false;
                }
            }

            if (ok)
            {
                return new TableBatchReader(specs, file, null, csv, index, header.Count, convert);
            }

            csv.Dispose();
            return null;
        }
        catch (InvalidInputException e)
        {
            log.Error(StudyProblemKind.TableUnreadable, file, e.Row, e.Column, Problem(e, path));
            return null;
        }
    }

    /// <summary>The problem part of an <see cref="InvalidInputException"/> about <paramref name="path"/> (without the file and row).</summary>
    public static string Problem(InvalidInputException e, string path)
    {
        var message = e.Message;
        var prefix = e.File is null ? path + ": " : e.File + ": ";
        if (message.StartsWith(prefix, StringComparison.Ordinal))
        {
            message = message[prefix.Length..];
        }

        if (e.Row is int row)
        {
            var rowPrefix = e.Column is null ? $"row {row}: " : $"row {row}, column \"{e.Column}\": ";
            if (message.StartsWith(rowPrefix, StringComparison.Ordinal))
            {
                message = message[rowPrefix.Length..];
            }
        }

        return message;
    }

    /// <summary>The next batch, or null at the end. Problems of the file itself come as <see cref="InvalidInputException"/>.</summary>
    public async Task<TableBatch?> ReadAsync(CancellationToken cancellationToken)
    {
        if (_finished)
        {
            return null;
        }

        var pending = _next ?? ReadNextAsync(cancellationToken);
        _next = null;
        var batch = await pending.ConfigureAwait(false);
        if (batch is null)
        {
            _finished = true;
            return null;
        }

        if (_csv is not null)
        {
            // Parse the next CSV batch while the caller works on this one. Parquet row groups are not read ahead:
            // their columns already decode in parallel, and a second row group in flight costs far more memory
            // (a few hundred MB per million rows) than the overlap saves time.
            _next = Task.Run(() => ReadNextAsync(cancellationToken), cancellationToken);
        }

        return batch;
    }

    public async ValueTask DisposeAsync()
    {
        if (_next is not null)
        {
            try
            {
                await _next.ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidInputException or OperationCanceledException)
            {
                // The caller stopped reading; what the read-ahead met no longer matters.
            }
        }

        if (_parquet is not null)
        {
            await _parquet.DisposeAsync().ConfigureAwait(false);
        }

        _csv?.Dispose();
    }

    private static bool CheckParquet(ParquetStreamingReader parquet, string file, ColumnSpec[] specs, StudyProblemLog log)
    {
        var ok = true;
        foreach (var spec in specs)
        {
            var column = parquet.FindColumn(spec.Name);
            if (column is null)
            {
                if (spec.Required)
                {
                    log.Error(StudyProblemKind.ColumnMissing, file, null, spec.Name, "required column not found");
                    ok = false;
                }

                continue;
            }

            var type = column.ValueType;
            var fits = column.IsReadable && (spec.Kind == ColumnKind.Text ? type == typeof(string) : NumericTypes.Contains(type!));
            if (!fits)
            {
                var found = type is null ? "a nested column" : $"a {type.Name} column";
                log.Error(StudyProblemKind.ColumnType, file, null, spec.Name, $"must be a {(spec.Kind == ColumnKind.Text ? "string" : "numeric")} column, found {found}");
                ok = false;
            }
        }

        return ok;
    }

    private Task<TableBatch?> ReadNextAsync(CancellationToken cancellationToken) =>
        _parquet is not null ? ReadParquetAsync(_parquet, cancellationToken) : Task.FromResult(ReadCsv(_csv!, cancellationToken));

    private async Task<TableBatch?> ReadParquetAsync(ParquetStreamingReader parquet, CancellationToken cancellationToken)
    {
        while (_group < parquet.RowGroupCount && parquet.GetRowGroupRowCount(_group) == 0)
        {
            _group++;
        }

        if (_group >= parquet.RowGroupCount)
        {
            return null;
        }

        var group = _group;
        var rows = (int)parquet.GetRowGroupRowCount(group);
        var batch = new TableBatch(_rowsRead + 1, rows, _specs.Length);
        await Parallel.ForAsync(
            0,
            _specs.Length,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (j, ct) =>
            {
                if (!Present[j])
                {
                    return;
                }

                var values = (await parquet.ReadColumnAsync(group, _specs[j].Name, ct).ConfigureAwait(false)).Values;
                batch.Columns[j] = _specs[j].Kind == ColumnKind.Text ? Convert(j, (string?[])values, rows) : ToNumbers(values, rows);
            }).ConfigureAwait(false);

        _group++;
        _rowsRead += rows;
        return batch;
    }

    private TableBatch? ReadCsv(CsvRecordReader csv, CancellationToken cancellationToken)
    {
        var fields = new List<string>(_csvWidth);
        var texts = new string?[_specs.Length][];
        var firstRow = csv.Record + 1;
        var count = 0;
        List<(int, string)>? malformed = null;
        while (count < CsvBatchRows && csv.TryReadRecord(fields))
        {
            if (count == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                firstRow = csv.Record;
                for (var j = 0; j < _specs.Length; j++)
                {
                    if (_csvIndex[j] >= 0)
                    {
                        texts[j] = new string?[CsvBatchRows];
                    }
                }
            }

            if (fields.Count != _csvWidth)
            {
                (malformed ??= []).Add((count, $"{fields.Count} fields, but the header has {_csvWidth}"));
            }
            else
            {
                for (var j = 0; j < _specs.Length; j++)
                {
                    if (_csvIndex[j] >= 0)
                    {
                        var cell = fields[_csvIndex[j]];
                        texts[j][count] = cell.Length == 0 ? null : cell;
                    }
                }
            }

            count++;
        }

        if (count == 0)
        {
            return null;
        }

        var batch = new TableBatch(firstRow, count, _specs.Length) { Malformed = malformed };
        for (var j = 0; j < _specs.Length; j++)
        {
            if (_csvIndex[j] < 0)
            {
                continue;
            }

            if (_specs[j].Kind == ColumnKind.Text)
            {
                batch.Columns[j] = Convert(j, texts[j], count);
                continue;
            }

            var column = new NumberColumn(count);
            for (var i = 0; i < count; i++)
            {
                var cell = texts[j][i];
                if (cell is null)
                {
                    column.States[i] = NumberState.Missing;
                }
                else if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    column.Values[i] = value;
                }
                else
                {
                    column.States[i] = NumberState.NotNumber;
                    (column.Texts ??= new string?[count])[i] = cell;
                }
            }

            batch.Columns[j] = column;
        }

        return batch;
    }

    private object Convert(int column, string?[] values, int count) => _convert is null ? values : _convert(column, values, count);

    private static NumberColumn ToNumbers(Array values, int rows)
    {
        var column = new NumberColumn(rows);
        switch (values)
        {
            case double[] plain:
                plain.AsSpan(0, rows).CopyTo(column.Values);
                break;
            case double?[] nullable:
                Copy(nullable, column);
                break;
            case float[] a: Copy(a, column); break;
            case float?[] a: Copy(a, column); break;
            case sbyte[] a: Copy(a, column); break;
            case sbyte?[] a: Copy(a, column); break;
            case byte[] a: Copy(a, column); break;
            case byte?[] a: Copy(a, column); break;
            case short[] a: Copy(a, column); break;
            case short?[] a: Copy(a, column); break;
            case ushort[] a: Copy(a, column); break;
            case ushort?[] a: Copy(a, column); break;
            case int[] a: Copy(a, column); break;
            case int?[] a: Copy(a, column); break;
            case uint[] a: Copy(a, column); break;
            case uint?[] a: Copy(a, column); break;
            case long[] a: Copy(a, column); break;
            case long?[] a: Copy(a, column); break;
            case ulong[] a: Copy(a, column); break;
            case ulong?[] a: Copy(a, column); break;
            case decimal[] a: Copy(a, column); break;
            case decimal?[] a: Copy(a, column); break;
            default:
                throw new InvalidOperationException($"Column type {values.GetType()} passed the schema check.");
        }

        return column;
    }

    private static void Copy<T>(T[] values, NumberColumn column)
        where T : struct, INumberBase<T>
    {
        for (var i = 0; i < values.Length; i++)
        {
            column.Values[i] = double.CreateTruncating(values[i]);
        }
    }

    private static void Copy<T>(T?[] values, NumberColumn column)
        where T : struct, INumberBase<T>
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is T value)
            {
                column.Values[i] = double.CreateTruncating(value);
            }
            else
            {
                column.States[i] = NumberState.Missing;
            }
        }
    }
}
