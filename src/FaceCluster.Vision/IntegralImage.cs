using System.Buffers;

namespace FaceCluster.Vision;

/// <summary>
/// Summed-area table of an <see cref="RgbImage"/>, for PyTorch's <c>interpolate(mode="area")</c>
/// (<c>adaptive_avg_pool2d</c>) of any region at O(1) per output value.
/// </summary>
/// <remarks>
/// Output cell (i, j) of an <c>outH x outW</c> resampling of an <c>inH x inW</c> region averages input rows
/// <c>floor(i * inH / outH)</c> to <c>ceil((i + 1) * inH / outH)</c> (exclusive), and likewise for columns: PyTorch's
/// <c>start_index</c> and <c>end_index</c>. Sums of 8-bit values are exact integers here; PyTorch sums them in float,
/// also exactly while a window holds fewer than 65,793 pixels, then divides by the window's height and then by its
/// width in float. This class does the same, so the values match PyTorch's bit for bit. The table is 12 bytes per
/// pixel, rented from the shared array pool and returned on <see cref="Dispose"/>. Sums wrap modulo 2^32, which
/// leaves every window sum exact (a window of fewer than 16 million pixels).
/// </remarks>
internal sealed class IntegralImage : IDisposable
{
    private readonly int _stride;
    private uint[]? _table;

    public IntegralImage(RgbImage image)
    {
        Width = image.Width;
        Height = image.Height;
        _stride = (Width + 1) * 3;
        var table = ArrayPool<uint>.Shared.Rent(checked(_stride * (Height + 1)));
        Array.Clear(table, 0, _stride);
        var pixels = image.Span;
        for (var y = 0; y < Height; y++)
        {
            var row = pixels.Slice(y * Width * 3, Width * 3);
            var above = table.AsSpan(y * _stride, _stride);
            var current = table.AsSpan((y + 1) * _stride, _stride);
            current[0] = current[1] = current[2] = 0;
            uint r = 0, g = 0, b = 0;
            for (int x = 0, i = 0; x < Width; x++, i += 3)
            {
                unchecked
                {
                    r += row[i];
                    g += row[i + 1];
                    b += row[i + 2];
                    current[i + 3] = above[i + 3] + r;
                    current[i + 4] = above[i + 4] + g;
                    current[i + 5] = above[i + 5] + b;
                }
            }
        }

        _table = table;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>
    /// Area-resamples the region of <paramref name="regionWidth"/> x <paramref name="regionHeight"/> pixels at
    /// (<paramref name="x0"/>, <paramref name="y0"/>) to <paramref name="outHeight"/> x <paramref name="outWidth"/> and
    /// writes it as HWC floats (channels last) normalised for MTCNN, <c>(v - 127.5) * 0.0078125</c>, into
    /// <paramref name="destination"/>.
    /// </summary>
    public void ResampleNormalized(int x0, int y0, int regionWidth, int regionHeight, int outHeight, int outWidth, Span<float> destination)
    {
        var table = _table ?? throw new ObjectDisposedException(nameof(IntegralImage));
        if (x0 < 0 || y0 < 0 || regionWidth < 1 || regionHeight < 1 || x0 + regionWidth > Width || y0 + regionHeight > Height)
        {
            throw new ArgumentOutOfRangeException(nameof(x0), $"region {x0},{y0} {regionWidth}x{regionHeight} is not inside {Width}x{Height}");
        }

        if (destination.Length < 3 * outHeight * outWidth)
        {
            throw new ArgumentException("destination too short", nameof(destination));
        }

        Span<int> columnStart = outWidth <= 1024 ? stackalloc int[outWidth] : new int[outWidth];
        Span<int> columnEnd = outWidth <= 1024 ? stackalloc int[outWidth] : new int[outWidth];
        for (var j = 0; j < outWidth; j++)
        {
            columnStart[j] = x0 + StartIndex(j, outWidth, regionWidth);
            columnEnd[j] = x0 + EndIndex(j, outWidth, regionWidth);
        }

        for (var i = 0; i < outHeight; i++)
        {
            var top = y0 + StartIndex(i, outHeight, regionHeight);
            var bottom = y0 + EndIndex(i, outHeight, regionHeight);
            var kh = bottom - top;
            var upper = table.AsSpan(top * _stride, _stride);
            var lower = table.AsSpan(bottom * _stride, _stride);
            var outRow = i * outWidth * 3;
            for (var j = 0; j < outWidth; j++)
            {
                var left = columnStart[j] * 3;
                var right = columnEnd[j] * 3;
                var kw = columnEnd[j] - columnStart[j];
                for (var c = 0; c < 3; c++)
                {
                    var sum = unchecked(lower[right + c] - lower[left + c] - upper[right + c] + upper[left + c]);
                    var mean = (float)sum / kh / kw;
                    destination[outRow + (3 * j) + c] = (mean - 127.5f) * 0.0078125f;
                }
            }
        }
    }

    public void Dispose()
    {
        if (_table is { } table)
        {
            _table = null;
            ArrayPool<uint>.Shared.Return(table);
        }
    }

    /// <summary>PyTorch's <c>start_index(a, b, c)</c>: floor(a * c / b).</summary>
    internal static int StartIndex(int a, int b, int c) => (int)((long)a * c / b);

    /// <summary>PyTorch's <c>end_index(a, b, c)</c>: ceil((a + 1) * c / b).</summary>
    internal static int EndIndex(int a, int b, int c) => (int)(1 + ((((long)a + 1) * c) - 1) / b);
}
