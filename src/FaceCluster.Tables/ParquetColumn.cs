namespace FaceCluster.Tables;

/// <summary>
/// One named, typed column of a <see cref="ParquetTable"/>: an array of <c>T</c> (required values) or <c>T?</c>
/// (nullable values) for a primitive <c>T</c>, or an array of strings (always nullable).
/// </summary>
/// <remarks>
/// Supported value types: <see cref="string"/>, <see cref="bool"/>, the signed and unsigned integers, <see cref="float"/>,
/// <see cref="double"/>, <see cref="decimal"/>, <see cref="DateTime"/>, <see cref="DateOnly"/>,
/// <see cref="Guid"/> and <c>byte[]</c>. The derived tables use string, double (nullable
/// where a value can be absent), int, long and bool. The array is taken as it is, not copied.
/// </remarks>
public sealed class ParquetColumn
{
    /// <summary>Creates a column from a one-dimensional array of a supported type.</summary>
    /// <exception cref="ArgumentException">The name is empty or the array type is not supported.</exception>
    public ParquetColumn(string name, Array values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(values);
        var elementType = values.GetType().GetElementType();
        if (values.Rank != 1 || elementType is null)
        {
            throw new ArgumentException("A column is a one-dimensional array.", nameof(values));
        }

        var underlying = Nullable.GetUnderlyingType(elementType);
        ValueType = underlying ?? elementType;
        IsNullable = underlying is not null || !elementType.IsValueType;
        if (!ParquetColumnCodec.IsSupported(ValueType))
        {
            throw new ArgumentException($"Column \"{name}\": values of type {elementType} are not supported.", nameof(values));
        }

        Name = name;
        Values = values;
    }

    /// <summary>The column name.</summary>
    public string Name { get; }

    /// <summary>The values: <c>T[]</c>, <c>T?[]</c> or <c>string?[]</c>.</summary>
    public Array Values { get; }

    /// <summary>The type of a value, without <see cref="Nullable{T}"/> (<c>double</c> for both <c>double[]</c> and <c>double?[]</c>).</summary>
    public Type ValueType { get; }

    /// <summary>Whether the column may hold nulls (<c>T?[]</c>, strings, byte arrays).</summary>
    public bool IsNullable { get; }

    /// <summary>The number of values.</summary>
    public int Length => Values.Length;

    /// <summary>The value at <paramref name="row"/> (0-based), boxed; <see langword="null"/> for a null.</summary>
    public object? GetValue(int row) => Values.GetValue(row);
}
