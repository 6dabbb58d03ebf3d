using Parquet;
using Parquet.Schema;

namespace FaceCluster.Tables;

/// <summary>Reads and writes the values of one flat Parquet column of a given value type.</summary>
internal abstract class ParquetColumnCodec
{
    private static readonly Dictionary<Type, ParquetColumnCodec> Codecs = new()
    {
        [typeof(string)] = new StringCodec(),
        [typeof(byte[])] = new BytesCodec(),
        [typeof(bool)] = new StructCodec<bool>(),
        [typeof(sbyte)] = new StructCodec<sbyte>(),
        [typeof(byte)] = new StructCodec<byte>(),
        [typeof(short)] = new StructCodec<short>(),
        [typeof(ushort)] = new StructCodec<ushort>(),
        [typeof(int)] = new StructCodec<int>(),
        [typeof(uint)] = new StructCodec<uint>(),
        [typeof(long)] = new StructCodec<long>(),
        [typeof(ulong)] = new StructCodec<ulong>(),
        [typeof(float)] = new StructCodec<float>(),
        [typeof(double)] = new StructCodec<double>(),
        [typeof(decimal)] = new StructCodec<decimal>(),
        [typeof(DateTime)] = new StructCodec<DateTime>(),
        [typeof(DateOnly)] = new StructCodec<DateOnly>(),
        [typeof(Guid)] = new StructCodec<Guid>(),
    };

    /// <summary>Whether columns of <paramref name="valueType"/> can be read and written.</summary>
    public static bool IsSupported(Type valueType) => Codecs.ContainsKey(valueType);

    /// <summary>The value type of a Parquet field as <see cref="ParquetColumn.ValueType"/> names it.</summary>
    public static Type ValueTypeOf(DataField field) =>
        field.ClrType == typeof(ReadOnlyMemory<char>) ? typeof(string)
        : field.ClrType == typeof(ReadOnlyMemory<byte>) ? typeof(byte[])
        : field.ClrType;

    /// <summary>The codec for <paramref name="valueType"/>, or <see langword="null"/>.</summary>
    public static ParquetColumnCodec? For(Type valueType) => Codecs.GetValueOrDefault(valueType);

    /// <summary>Reads the whole column (every row group) into one array.</summary>
    public abstract Task<Array> ReadAsync(ParquetReader reader, DataField field, int rowCount, CancellationToken cancellationToken);

    /// <summary>Writes rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> into a row group.</summary>
    public abstract Task WriteAsync(
        Parquet.ParquetRowGroupWriter writer, DataField field, Array values, int start, int count, CancellationToken cancellationToken);

    /// <summary>Reads one column of every row group, in order, into a single array.</summary>
    private static async Task<TValue[]> ReadGroupsAsync<TValue>(
        ParquetReader reader, int rowCount, Func<ParquetRowGroupReader, Memory<TValue>, ValueTask> readGroup)
    {
        var values = new TValue[rowCount];
        var offset = 0;
        foreach (var group in reader.RowGroups)
        {
            var count = (int)group.RowCount;
            await readGroup(group, values.AsMemory(offset, count)).ConfigureAwait(false);
            offset += count;
        }

        return values;
    }

    private sealed class StructCodec<T> : ParquetColumnCodec
        where T : struct
    {
        public override async Task<Array> ReadAsync(
            ParquetReader reader, DataField field, int rowCount, CancellationToken cancellationToken) =>
            field.IsNullable
                ? await ReadGroupsAsync<T?>(reader, rowCount, (group, values) => group.ReadAsync<T>(field, values, null, cancellationToken)).ConfigureAwait(false)
                : await ReadGroupsAsync<T>(reader, rowCount, (group, values) => group.ReadAsync<T>(field, values, null, cancellationToken)).ConfigureAwait(false);

        public override Task WriteAsync(
            Parquet.ParquetRowGroupWriter writer, DataField field, Array values, int start, int count, CancellationToken cancellationToken) =>
            values switch
            {
                T[] plain => writer.WriteAsync<T>(field, plain.AsMemory(start, count), null, null, cancellationToken),
                T?[] nullable => writer.WriteAsync<T>(field, (ReadOnlyMemory<T?>)nullable.AsMemory(start, count), null, null, cancellationToken),
                _ => throw new ArgumentException($"Expected {typeof(T)}[] or {typeof(T)}?[], got {values.GetType()}.", nameof(values)),
            };
    }

    private sealed class StringCodec : ParquetColumnCodec
    {
        public override async Task<Array> ReadAsync(
            ParquetReader reader, DataField field, int rowCount, CancellationToken cancellationToken) =>
            await ReadGroupsAsync<string?>(reader, rowCount, (group, values) => group.ReadAsync(field, values, null, cancellationToken)).ConfigureAwait(false);

        public override Task WriteAsync(
            Parquet.ParquetRowGroupWriter writer, DataField field, Array values, int start, int count, CancellationToken cancellationToken) =>
            writer.WriteAsync(field, new ArraySegment<string>((string[])values, start, count));
    }

    private sealed class BytesCodec : ParquetColumnCodec
    {
        public override async Task<Array> ReadAsync(
            ParquetReader reader, DataField field, int rowCount, CancellationToken cancellationToken) =>
            await ReadGroupsAsync<byte[]?>(reader, rowCount, (group, values) => group.ReadAsync(field, values, null, cancellationToken)).ConfigureAwait(false);

        public override Task WriteAsync(
            Parquet.ParquetRowGroupWriter writer, DataField field, Array values, int start, int count, CancellationToken cancellationToken) =>
            writer.WriteAsync(field, new ArraySegment<byte[]>((byte[][])values, start, count));
    }
}
