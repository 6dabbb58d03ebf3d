using System.Text.Json.Serialization;
using Microsoft.Win32.SafeHandles;

namespace FaceCluster.Learning.Data;

/// <summary>How a value of a <see cref="RowFile"/> is stored.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RowElement>))]
#pragma warning disable CA1720 // Identifier contains type name: these are dtype names.
public enum RowElement
{
    /// <summary>IEEE single precision, 4 bytes.</summary>
    Float32,

    /// <summary>IEEE half precision, 2 bytes (half the disk and page cache of <see cref="Float32"/>).</summary>
    Float16,

    /// <summary>An unsigned byte (crop pixels).</summary>
    UInt8,
}
#pragma warning restore CA1720

/// <summary>
/// A file of fixed-size rows (little-endian, no header), appended in order and read back at random by row: the on-disk
/// cache of trunk features (452,783 faces x 16,128 floats is 29 GB in float32) or of crop pixels. Only the rows of one
/// batch are ever in memory; the operating system's page cache does the rest.
/// </summary>
public sealed class RowFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly bool _writable;

    private RowFile(string path, SafeFileHandle handle, int rowValues, RowElement element, long rows, bool writable)
    {
        Path = path;
        _handle = handle;
        RowValues = rowValues;
        Element = element;
        Rows = rows;
        _writable = writable;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Values per row.</summary>
    public int RowValues { get; }

    /// <summary>How values are stored.</summary>
    public RowElement Element { get; }

    /// <summary>Bytes per row.</summary>
    public int RowBytes => RowValues * ElementSize(Element);

    /// <summary>Complete rows in the file.</summary>
    public long Rows { get; private set; }

    /// <summary>Bytes per value of <paramref name="element"/>.</summary>
    public static int ElementSize(RowElement element) => element switch
    {
        RowElement.Float32 => 4,
        RowElement.Float16 => 2,
        _ => 1,
    };

    /// <summary>
    /// Opens <paramref name="path"/> for appending after its first <paramref name="keepRows"/> rows (anything after them,
    /// such as a partly written row, is cut off); creates it when missing.
    /// </summary>
    public static RowFile OpenForAppend(string path, int rowValues, RowElement element, long keepRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowValues, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(keepRows);
        var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        var rowBytes = (long)rowValues * ElementSize(element);
        var length = RandomAccess.GetLength(handle);
        var rows = Math.Min(keepRows, length / rowBytes);
        RandomAccess.SetLength(handle, rows * rowBytes);
        return new RowFile(path, handle, rowValues, element, rows, writable: true);
    }

    /// <summary>Opens a finished file for reading; its length must be a whole number of rows.</summary>
    /// <exception cref="InvalidDataException">The length is not a whole number of rows.</exception>
    public static RowFile OpenRead(string path, int rowValues, RowElement element)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var rowBytes = (long)rowValues * ElementSize(element);
        var length = RandomAccess.GetLength(handle);
        if (length % rowBytes != 0)
        {
            handle.Dispose();
            throw new InvalidDataException($"{path}: {length} bytes is not a whole number of {rowBytes}-byte rows");
        }

        return new RowFile(path, handle, rowValues, element, length / rowBytes, writable: false);
    }

    /// <summary>Appends whole rows.</summary>
    public void Append(ReadOnlySpan<byte> rows)
    {
        if (!_writable)
        {
            throw new InvalidOperationException($"{Path} is open for reading");
        }

        if (rows.Length % RowBytes != 0)
        {
            throw new ArgumentException($"{rows.Length} bytes is not a whole number of {RowBytes}-byte rows", nameof(rows));
        }

        RandomAccess.Write(_handle, rows, Rows * RowBytes);
        Rows += rows.Length / RowBytes;
    }

    /// <summary>Reads <paramref name="rows"/> (in that order) into <paramref name="destination"/>, one row after another.</summary>
    public void Read(ReadOnlySpan<int> rows, Span<byte> destination)
    {
        var rowBytes = RowBytes;
        if (destination.Length < rows.Length * rowBytes)
        {
            throw new ArgumentException($"{destination.Length} bytes cannot hold {rows.Length} rows of {rowBytes}", nameof(destination));
        }

        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            if (row < 0 || row >= Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), row, $"{Path} has {Rows} rows");
            }

            var target = destination.Slice(i * rowBytes, rowBytes);
            var read = 0;
            while (read < rowBytes)
            {
                var n = RandomAccess.Read(_handle, target[read..], ((long)row * rowBytes) + read);
                if (n == 0)
                {
                    throw new EndOfStreamException($"{Path}: row {row} is cut short");
                }

                read += n;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
