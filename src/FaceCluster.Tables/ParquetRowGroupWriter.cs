using Parquet;
using Parquet.Schema;

namespace FaceCluster.Tables;

/// <summary>
/// Writes a flat Parquet table one row group at a time, for tables too large to hold in memory. The file is written
/// to a hidden temporary file beside <c>path</c> (<c>.NAME.tmp-RANDOM</c>) and renamed over it by
/// <see cref="CommitAsync"/>; disposing without committing deletes the temporary file, so readers never see half a
/// table.
/// </summary>
/// <example>
/// <code>
/// await using var writer = await ParquetRowGroupWriter.CreateAsync(path, ["id", "value"], [typeof(string), typeof(double)], ct);
/// await writer.AppendAsync([new ParquetColumn("id", ids), new ParquetColumn("value", values)], rows, ct);
/// await writer.CommitAsync(ct);
/// </code>
/// </example>
public sealed class ParquetRowGroupWriter : IAsyncDisposable
{
    private readonly string _temporaryPath;
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private readonly DataField[] _fields;
    private readonly Type[] _elementTypes;
    private readonly ParquetColumnCodec[] _codecs;
    private bool _closed;

    private ParquetRowGroupWriter(
        string path, string temporaryPath, FileStream stream, ParquetWriter writer, DataField[] fields, Type[] elementTypes, ParquetColumnCodec[] codecs)
    {
        Path = path;
        _temporaryPath = temporaryPath;
        _stream = stream;
        _writer = writer;
        _fields = fields;
        _elementTypes = elementTypes;
        _codecs = codecs;
    }

    /// <summary>The file the table ends up in (full path).</summary>
    public string Path { get; }

    /// <summary>The column names, in file order.</summary>
    public IReadOnlyList<string> ColumnNames => [.. _fields.Select(f => f.Name)];

    /// <summary>The rows appended so far.</summary>
    public long RowCount { get; private set; }

    /// <summary>The row groups appended so far.</summary>
    public int RowGroupCount { get; private set; }

    /// <summary>Whether <see cref="CommitAsync"/> has completed.</summary>
    public bool IsCommitted { get; private set; }

    /// <summary>
    /// Opens a writer for the columns <paramref name="names"/> whose values have the element types
    /// <paramref name="elementTypes"/>, as the arrays of a <see cref="ParquetColumn"/> have them: <c>typeof(int)</c> for
    /// a required column, <c>typeof(double?)</c> for a nullable one, <c>typeof(string)</c> for a string column.
    /// </summary>
    /// <exception cref="ArgumentException">No columns, names and types of different counts, a repeated name or an unsupported type.</exception>
    public static async Task<ParquetRowGroupWriter> CreateAsync(
        string path, IReadOnlyList<string> names, IReadOnlyList<Type> elementTypes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(elementTypes);
        if (names.Count == 0 || names.Count != elementTypes.Count)
        {
            throw new ArgumentException($"Expected one element type per column name and at least one column (got {names.Count} names, {elementTypes.Count} types).", nameof(elementTypes));
        }

        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            throw new ArgumentException("Two columns have the same name.", nameof(names));
        }

        var fields = new DataField[names.Count];
        var codecs = new ParquetColumnCodec[names.Count];
        for (var j = 0; j < names.Count; j++)
        {
            ArgumentException.ThrowIfNullOrEmpty(names[j], nameof(names));
            var underlying = Nullable.GetUnderlyingType(elementTypes[j]);
            var valueType = underlying ?? elementTypes[j];
            codecs[j] = ParquetColumnCodec.For(valueType)
                ?? throw new ArgumentException($"Column \"{names[j]}\": values of type {elementTypes[j]} are not supported.", nameof(elementTypes));
            fields[j] = new DataField(names[j], valueType, underlying is not null || !elementTypes[j].IsValueType);
        }

        var target = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(target)
            ?? throw new ArgumentException($"{path} has no parent folder.", nameof(path));
        var temporary = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(target)}.tmp-{AtomicFile.RandomSuffix()}");
        var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true);
        try
        {
            var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, null, false, cancellationToken).ConfigureAwait(false);
            return new ParquetRowGroupWriter(target, temporary, stream, writer, fields, [.. elementTypes], codecs);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Appends every row of <paramref name="columns"/> as one row group.</summary>
    /// <exception cref="ArgumentException">The columns do not match the schema (names, order, types) or differ in length.</exception>
    public Task AppendAsync(IReadOnlyList<ParquetColumn> columns, CancellationToken cancellationToken = default) =>
        AppendAsync(columns, ParquetTable.CheckColumns(columns), cancellationToken);

    /// <summary>
    /// Appends the first <paramref name="rowCount"/> rows of <paramref name="columns"/> as one row group (so that buffers
    /// can be reused from group to group). A row count of zero appends nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The columns do not match the schema (names, order, types) or are too short.</exception>
    public async Task AppendAsync(IReadOnlyList<ParquetColumn> columns, int rowCount, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        if (columns.Count != _fields.Length)
        {
            throw new ArgumentException($"Expected {_fields.Length} columns, got {columns.Count}.", nameof(columns));
        }

        for (var j = 0; j < _fields.Length; j++)
        {
            var column = columns[j];
            if (column.Name != _fields[j].Name || column.Values.GetType().GetElementType() != _elementTypes[j])
            {
                throw new ArgumentException(
                    $"Column {j + 1} is \"{column.Name}\" of {column.Values.GetType()}; the schema has \"{_fields[j].Name}\" of {_elementTypes[j]}[].",
                    nameof(columns));
            }

            if (column.Length < rowCount)
            {
                throw new ArgumentException($"Column \"{column.Name}\" has {column.Length} values, fewer than {rowCount} rows.", nameof(columns));
            }
        }

        if (rowCount == 0)
        {
            return;
        }

        await WriteGroupAsync(columns.Select(c => c.Values).ToArray(), rowCount, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Finishes the file (a table with no rows gets one empty row group, so that its schema is complete), flushes it
    /// to disk and renames it over <see cref="Path"/>.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (RowGroupCount == 0)
        {
            await WriteGroupAsync([.. _elementTypes.Select(t => Array.CreateInstance(t, 0))], 0, cancellationToken).ConfigureAwait(false);
        }

        _closed = true;
        try
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            _stream.Flush(flushToDisk: true);
            await _stream.DisposeAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            File.Move(_temporaryPath, Path, overwrite: true);
            IsCommitted = true;
        }
        finally
        {
            if (!IsCommitted)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
                AtomicFile.TryDelete(_temporaryPath);
            }
        }
    }

    /// <summary>Closes the writer; unless committed, deletes the temporary file and leaves <see cref="Path"/> untouched.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        try
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The file is discarded anyway.
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        AtomicFile.TryDelete(_temporaryPath);
    }

    private async Task WriteGroupAsync(Array[] values, int rowCount, CancellationToken cancellationToken)
    {
        using var group = _writer.CreateRowGroup();
        for (var j = 0; j < _fields.Length; j++)
        {
            await _codecs[j].WriteAsync(group, _fields[j], values[j], 0, rowCount, cancellationToken).ConfigureAwait(false);
        }

        group.CompleteValidate();
        RowCount += rowCount;
        RowGroupCount++;
    }
}
