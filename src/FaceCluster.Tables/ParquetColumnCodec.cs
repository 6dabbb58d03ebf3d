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
        [typeof(TimeOnly)] = new StructCodec<TimeOnly>(),
        [typeof(TimeSpan)] = new StructCodec<TimeSpan>(),
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
        ParquetRowGroupWriter writer, DataField field, Array values, int start, int count, CancellationToken cancellationToken);

    private sealed class StructCodec<T> : ParquetColumnCodec
        where T : struct
    {
        public override async Task<Array> ReadAsync(
            ParquetReader reader, DataField field, int rowCount, CancellationToken cancellationToken)
        {
            var offset = 0;
            if (field.IsNullable)
            {
                var values = new T?[rowCount];
                foreach (var group in reader.RowGroups)
                {
                    var count = (int)group.RowCount;
                    await group.ReadAsync<T>(field, values.AsMemory(offset, count), null, cancellationToken).ConfigureAwait(false);
                    offset += count;
                }

                return values;
            }
            else
            {
                var values = new T[rowCount];
                foreach (var group in reader.RowGroups)
                {
                    var count = (int)group.RowCount;
                    await group.ReadAsync<T>(field, values.AsMemory(offset, count), null, cancellationToken).ConfigureAwait(false);
                    offset += count;
                }

                return values;
            }
        }

        public override Task WriteAsync(
            ParquetRowGroupWriter writer, DataField field, Array values, int start, int count, CancellationToken cancellationToken) =>
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
            ParquetReader reader, DataField field, int rowCount, CancellationToken cancellationToken)
        {
            var values = new string?[rowCount];
            var offset = 0;
            foreach (var group in reader.RowGroups)
            {
                var count = (int)group.RowCount;
                await group.ReadAsync(field, values.AsMemory(offset, count), null, cancellationToken).ConfigureAwait(false);
                offset += count;
            }

            return values;
        }

        public override Task WriteAsync(
            ParquetRowGroupWriter writer, DataField field, Array values, int start, int count, CancellationToken cancellationToken) =>
            writer.WriteAsync(field, new ArraySegment<string>((string[])values, start, count));
    }

    private sealed class BytesCodec : ParquetColumnCodec
    {
        public override async Task<Array> ReadAsync(
            ParquetReader reader, DataField field, int rowCount, CancellationToken cancellationToken)
        {
            var values = new byte[]?[rowCount];
            var offset = 0;
            foreach (var group in reader.RowGroups)
            {
                var count = (int)group.RowCount;
                await group.ReadAsync(field, values.AsMemory(offset, count), null, cancellationToken).ConfigureAwait(false);
                offset += count;
            }

            return values;
        }

        public override Task WriteAsync(
            ParquetRowGroupWriter writer, DataField field, Array values, int start, int count, CancellationToken cancellationToken) =>
            writer.WriteAsync(field, new ArraySegment<byte[]>((byte[][])values, start, count));
    }
}
