using System.Collections.Concurrent;
using Parquet;
using Parquet.Schema;

namespace FaceCluster.Tables;

/// <summary>The name and type of one top-level column of a Parquet file, as <see cref="ParquetStreamingReader"/> sees it.</summary>
/// <param name="Name">The column name.</param>
/// <param name="ValueType">
/// The type of a value without <see cref="Nullable{T}"/> (as <see cref="ParquetColumn.ValueType"/>), or
/// <see langword="null"/> for a nested (list, map or struct) column.
/// </param>
/// <param name="IsNullable">Whether the column may hold nulls.</param>
/// <param name="IsReadable">Whether <see cref="ParquetStreamingReader.ReadColumnAsync"/> can read it (flat and of a supported type).</param>
public sealed record ParquetColumnInfo(string Name, Type? ValueType, bool IsNullable, bool IsReadable);

/// <summary>
/// Reads a Parquet file one row group at a time, and only the columns asked for, so that tables larger than memory
/// can be processed in a single streaming pass (for example ten million ratings). Nested or unsupported columns
/// are listed in <see cref="Columns"/> but do not prevent reading the others.
/// </summary>
/// <remarks>
/// <para>Values come back as <see cref="ParquetColumn"/>s of the row group's length, typed like those of
/// <see cref="ParquetTableReader"/>: <c>T[]</c> for required columns, <c>T?[]</c> for optional ones, <c>string?[]</c>
/// for strings. Library and I/O errors become one-line <see cref="InvalidInputException"/>s naming the file.</para>
/// <para>Columns can be decoded in parallel (<see cref="ReadRowGroupAsync"/> does, up to <see cref="MaxParallelism"/>
/// at once; <see cref="ReadColumnAsync"/> may be called from several threads), each by its own Parquet.Net reader
/// on its own file handle, since decoding strings is what limits a streaming pass. Memory is about one row group
/// of the requested columns.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var reader = await ParquetStreamingReader.OpenAsync("ratings.parquet", ct);
/// for (var g = 0; g &lt; reader.RowGroupCount; g++)
/// {
///     var columns = await reader.ReadRowGroupAsync(g, ["event_id", "intensity"], ct);
///     ...
/// }
/// </code>
/// </example>
public sealed class ParquetStreamingReader : IAsyncDisposable
{
    // As ParquetTableReader: DATE columns come back as DateOnly. Parquet.Net's pool of recycled buffers keeps every
    // buffer it ever freed unless told otherwise, which would make a streaming pass hold as much as a full read.
    private static readonly ParquetOptions Options = new()
    {
        UseDateOnlyTypeForDates = true,
        MaximumSmallPoolFreeBytes = 1 << 20,
        MaximumLargePoolFreeBytes = 1 << 20,
    };

    private readonly ParquetReader _reader;
    private readonly Dictionary<string, DataField> _fields;
    private readonly long[] _groupRows;
    private readonly ConcurrentBag<ParquetReader> _spareReaders = [];
    private readonly List<ParquetReader> _extraReaders = [];
    private int _primaryTaken;

    private ParquetStreamingReader(string path, ParquetReader reader)
    {
        Path = path;
        _reader = reader;
        _fields = new Dictionary<string, DataField>(StringComparer.Ordinal);
        var columns = new List<ParquetColumnInfo>(reader.Schema.Fields.Count);
        foreach (var field in reader.Schema.Fields)
        {
            if (field is DataField data && !data.IsArray)
            {
                var type = ParquetColumnCodec.ValueTypeOf(data);
                var readable = ParquetColumnCodec.IsSupported(type) && _fields.TryAdd(data.Name, data);
                columns.Add(new ParquetColumnInfo(data.Name, type, data.IsNullable, readable));
            }
            else
            {
                columns.Add(new ParquetColumnInfo(field.Name, null, true, false));
            }
        }

        Columns = columns;
        _groupRows = new long[reader.RowGroupCount];
        for (var g = 0; g < _groupRows.Length; g++)
        {
            _groupRows[g] = reader.RowGroups[g].RowCount;
        }

        RowCount = _groupRows.Sum();
    }

    /// <summary>The file being read.</summary>
    public string Path { get; }

    /// <summary>Every top-level column, in file order.</summary>
    public IReadOnlyList<ParquetColumnInfo> Columns { get; }

    /// <summary>The number of row groups.</summary>
    public int RowGroupCount => _groupRows.Length;

    /// <summary>The number of rows in all row groups.</summary>
    public long RowCount { get; }

    /// <summary>How many columns <see cref="ReadRowGroupAsync"/> decodes at once (default: one per processor; 1 decodes them one after the other).</summary>
    public int MaxParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Opens <paramref name="path"/> and reads its schema and row-group directory (not its data).</summary>
    /// <exception cref="InvalidInputException">The file is missing or not a readable Parquet file.</exception>
    public static async Task<ParquetStreamingReader> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        InputFile.RequireExisting(path);
        ParquetReader? reader = null;
        try
        {
            reader = await ParquetReader.CreateAsync(path, Options, cancellationToken).ConfigureAwait(false);
            return new ParquetStreamingReader(path, reader);
        }
        catch (Exception e) when (e is not (InvalidInputException or OperationCanceledException))
        {
            if (reader is not null)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }

            throw Unreadable(path, e);
        }
    }

    /// <summary>The column named <paramref name="name"/> (ordinal comparison), or <see langword="null"/>.</summary>
    public ParquetColumnInfo? FindColumn(string name) => Columns.FirstOrDefault(c => c.Name == name);

    /// <summary>The number of rows of row group <paramref name="rowGroup"/> (0-based).</summary>
    public long GetRowGroupRowCount(int rowGroup) => _groupRows[rowGroup];

    /// <summary>
    /// Reads one column of one row group. Safe to call from several threads at once (each call decodes with a
    /// Parquet.Net reader no other call is using), which is how <see cref="ReadRowGroupAsync"/> reads columns in parallel.
    /// </summary>
    /// <exception cref="ArgumentException">There is no readable column of that name.</exception>
    /// <exception cref="ArgumentOutOfRangeException">There is no such row group.</exception>
    /// <exception cref="InvalidInputException">The data cannot be decoded (a damaged file).</exception>
    public async Task<ParquetColumn> ReadColumnAsync(int rowGroup, string column, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowGroup);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rowGroup, RowGroupCount);
        ArgumentNullException.ThrowIfNull(column);
        if (!_fields.TryGetValue(column, out var field))
        {
            throw new ArgumentException($"{Path} has no readable column \"{column}\".", nameof(column));
        }

        var rows = _groupRows[rowGroup];
        if (rows > Array.MaxLength)
        {
            throw InvalidInputException.InFile(Path, $"row group {rowGroup + 1} has {rows} rows, more than one array can hold");
        }

        var reader = await RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var group = reader.OpenRowGroupReader(rowGroup);
            return new ParquetColumn(field.Name, await ReadAsync(group, field, (int)rows, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not (InvalidInputException or OperationCanceledException))
        {
            throw Unreadable(Path, e);
        }
        finally
        {
            _spareReaders.Add(reader);
        }
    }

    /// <summary>Reads the given columns of one row group, in the order asked for, up to <see cref="MaxParallelism"/> at once.</summary>
    /// <exception cref="ArgumentException">A column is not readable or asked for twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">There is no such row group.</exception>
    /// <exception cref="InvalidInputException">The data cannot be decoded (a damaged file).</exception>
    public async Task<IReadOnlyList<ParquetColumn>> ReadRowGroupAsync(
        int rowGroup, IReadOnlyList<string> columns, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Distinct(StringComparer.Ordinal).Count() != columns.Count)
        {
            throw new ArgumentException("A column is asked for twice.", nameof(columns));
        }

        var result = new ParquetColumn[columns.Count];
        await Parallel.ForAsync(
            0,
            columns.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, MaxParallelism), CancellationToken = cancellationToken },
            async (j, ct) => result[j] = await ReadColumnAsync(rowGroup, columns[j], ct).ConfigureAwait(false)).ConfigureAwait(false);
        return result;
    }

    /// <summary>Closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var reader in _extraReaders)
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }

        _extraReaders.Clear();
        await _reader.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A reader of the file that no other call is using (one more file handle when none is free).</summary>
    private async Task<ParquetReader> RentAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _primaryTaken, 1) == 0)
        {
            return _reader;
        }

        if (_spareReaders.TryTake(out var reader))
        {
            return reader;
        }

        reader = await ParquetReader.CreateAsync(Path, Options, cancellationToken).ConfigureAwait(false);
        lock (_extraReaders)
        {
            _extraReaders.Add(reader);
        }

        return reader;
    }

    private static InvalidInputException Unreadable(string path, Exception e) =>
        InvalidInputException.InFile(path, $"not a readable Parquet file ({InputFile.Brief(e.Message)})", innerException: e);

    private static async Task<Array> ReadAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken cancellationToken)
    {
        var type = ParquetColumnCodec.ValueTypeOf(field);
        if (type == typeof(string))
        {
            var strings = new string?[rows];
            await group.ReadAsync(field, strings.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            return strings;
        }

        if (type == typeof(byte[]))
        {
            var bytes = new byte[]?[rows];
            await group.ReadAsync(field, bytes.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            return bytes;
        }

        return type switch
        {
            _ when type == typeof(bool) => await ReadStructAsync<bool>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(sbyte) => await ReadStructAsync<sbyte>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(byte) => await ReadStructAsync<byte>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(short) => await ReadStructAsync<short>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(ushort) => await ReadStructAsync<ushort>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(int) => await ReadStructAsync<int>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(uint) => await ReadStructAsync<uint>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(long) => await ReadStructAsync<long>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(ulong) => await ReadStructAsync<ulong>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(float) => await ReadStructAsync<float>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(double) => await ReadStructAsync<double>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(decimal) => await ReadStructAsync<decimal>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(DateTime) => await ReadStructAsync<DateTime>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(DateOnly) => await ReadStructAsync<DateOnly>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(Guid) => await ReadStructAsync<Guid>(group, field, rows, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentException($"Column \"{field.Name}\": values of type {type} are not supported.", nameof(field)),
        };
    }

    private static async Task<Array> ReadStructAsync<T>(ParquetRowGroupReader group, DataField field, int rows, CancellationToken cancellationToken)
        where T : struct
    {
        if (field.IsNullable)
        {
            var nullable = new T?[rows];
            await group.ReadAsync<T>(field, nullable.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            return nullable;
        }

        var plain = new T[rows];
        await group.ReadAsync<T>(field, plain.AsMemory(), null, cancellationToken).ConfigureAwait(false);
        return plain;
    }
}
