using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FaceCluster.Analysis;

/// <summary>Which implementation of the weighted cross-product kernel runs.</summary>
internal enum CrossProductPath
{
    /// <summary>Plain loops; runs everywhere.</summary>
    Scalar,

    /// <summary>256-bit vectors with fused multiply-add, 4 x 12 register tile.</summary>
    Vector256,

    /// <summary>512-bit vectors with fused multiply-add, 8 x 24 register tile.</summary>
    Vector512,
}

/// <summary>
/// The hot loop of the dimension bootstrap: <c>C[i, j] += sum_t WR[t, i] R[t, j]</c> for <c>j &lt;= i</c>,
/// register-blocked, lower triangle only (tiles on the diagonal also update some entries above it,
/// which callers must ignore).
/// </summary>
/// <remarks>
/// Layout ("panels"): the <c>columns</c> (a multiple of <see cref="StrideMultiple"/>; padding columns
/// hold zeros) are cut into panels of <see cref="Panel"/> = 8 adjacent columns; a panel stores its
/// rows one after the other, 8 values (one cache line, one 512-bit vector) per row, so entry
/// <c>(t, c)</c> of a block is at <c>(c / 8) * panelStride + 8 t + c % 8</c>. <c>C</c> is
/// <c>columns x columns</c>, row-major. Each path sums every entry over <c>t</c> in increasing order,
/// with a fused multiply-add, so every path gives the same bits: machines with and without AVX-512
/// agree exactly (analysis.md section 10 across a mixed cluster).
/// </remarks>
internal static class CrossProductKernel
{
    /// <summary>Columns per panel.</summary>
    internal const int Panel = 8;

    /// <summary>Column counts are padded to a multiple of this (the widest register tile).</summary>
    internal const int StrideMultiple = 24;

    /// <summary>The fastest path this machine supports.</summary>
    internal static CrossProductPath Best { get; } =
        Vector512.IsHardwareAccelerated ? CrossProductPath.Vector512
        : Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported ? CrossProductPath.Vector256
        : CrossProductPath.Scalar;

    /// <summary>The smallest multiple of <see cref="StrideMultiple"/> that holds <paramref name="columns"/>.</summary>
    internal static int PaddedStride(int columns) => (columns + StrideMultiple - 1) / StrideMultiple * StrideMultiple;

    /// <summary>
    /// Accumulates the lower triangle of <c>WR^T R</c> over rows <c>0..count-1</c> of the panel blocks
    /// <paramref name="rows"/> (<c>R</c>) and <paramref name="weightedRows"/> (<c>WR</c>) into <paramref name="cross"/>.
    /// </summary>
    internal static unsafe void AccumulateLower(
        ReadOnlySpan<double> rows,
        int rowPanelStride,
        ReadOnlySpan<double> weightedRows,
        int weightedPanelStride,
        int count,
        int columns,
        Span<double> cross,
        CrossProductPath path)
    {
        if (count == 0)
        {
            return;
        }

        var panels = columns / Panel;
        if (columns % StrideMultiple != 0
            || rows.Length < ((long)(panels - 1) * rowPanelStride) + ((long)count * Panel)
            || weightedRows.Length < ((long)(panels - 1) * weightedPanelStride) + ((long)count * Panel)
            || rowPanelStride < count * Panel
            || weightedPanelStride < count * Panel
            || cross.Length < columns * columns)
        {
            throw new ArgumentException("Cross-product buffers do not match their layout.");
        }

        fixed (double* r = rows)
        fixed (double* wr = weightedRows)
        fixed (double* c = cross)
        {
            switch (path)
            {
                case CrossProductPath.Vector512:
                    Lower512(r, rowPanelStride, wr, weightedPanelStride, count, columns, c);
                    break;
                case CrossProductPath.Vector256:
                    Lower256(r, rowPanelStride, wr, weightedPanelStride, count, columns, c);
                    break;
                default:
                    LowerScalar(r, rowPanelStride, wr, weightedPanelStride, count, columns, c);
                    break;
            }
        }
    }

    /// <summary>
    /// <c>WR[t, c] = weights[t] R[t, c]</c> for rows <c>0..count-1</c> of every panel (vectorised; exact
    /// products, so every path gives the same bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ScaleRows(
        ReadOnlySpan<double> rows, int rowPanelStride, ReadOnlySpan<double> weights, int count, int columns, Span<double> weightedRows, int weightedPanelStride)
    {
        for (var q = 0; q < columns / Panel; q++)
        {
            var source = rows.Slice(q * rowPanelStride, count * Panel);
            var target = weightedRows.Slice(q * weightedPanelStride, count * Panel);
            if (Vector512.IsHardwareAccelerated)
            {
                for (var t = 0; t < count; t++)
                {
                    (Vector512.Create(source.Slice(t * Panel, Panel)) * weights[t]).CopyTo(target.Slice(t * Panel, Panel));
                }
            }
            else
            {
                for (var t = 0; t < count; t++)
                {
                    var w = weights[t];
                    for (var l = 0; l < Panel; l++)
                    {
                        target[(t * Panel) + l] = source[(t * Panel) + l] * w;
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LowerScalar(double* rows, int rowPanelStride, double* weightedRows, int weightedPanelStride, int count, int columns, double* cross)
    {
        for (var t = 0; t < count; t++)
        {
            for (var i = 0; i < columns; i++)
            {
                var w = weightedRows[((i / Panel) * weightedPanelStride) + (t * Panel) + (i % Panel)];
                var ci = cross + (i * columns);
                for (var j = 0; j <= i; j++)
                {
                    ci[j] = Math.FusedMultiplyAdd(w, rows[((j / Panel) * rowPanelStride) + (t * Panel) + (j % Panel)], ci[j]);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Lower512(double* rows, int rowPanelStride, double* weightedRows, int weightedPanelStride, int count, int columns, double* cross)
    {
        for (var i0 = 0; i0 < columns; i0 += 8)
        {
            var wp = weightedRows + ((i0 / Panel) * weightedPanelStride) + (i0 % Panel);
            for (var j0 = 0; j0 < columns && j0 <= i0 + 7; j0 += 24)
            {
                var rp0 = rows + (((j0) / Panel) * rowPanelStride) + ((j0) % Panel);
                var rp1 = rows + (((j0 + 8) / Panel) * rowPanelStride) + ((j0 + 8) % Panel);
                var rp2 = rows + (((j0 + 16) / Panel) * rowPanelStride) + ((j0 + 16) % Panel);
                var cp0 = cross + (i0 * columns) + j0;
                var c00 = Vector512.Load(cp0);
                var c01 = Vector512.Load(cp0 + 8);
                var c02 = Vector512.Load(cp0 + 16);
                var cp1 = cross + ((i0 + 1) * columns) + j0;
                var c10 = Vector512.Load(cp1);
                var c11 = Vector512.Load(cp1 + 8);
                var c12 = Vector512.Load(cp1 + 16);
                var cp2 = cross + ((i0 + 2) * columns) + j0;
                var c20 = Vector512.Load(cp2);
                var c21 = Vector512.Load(cp2 + 8);
                var c22 = Vector512.Load(cp2 + 16);
                var cp3 = cross + ((i0 + 3) * columns) + j0;
                var c30 = Vector512.Load(cp3);
                var c31 = Vector512.Load(cp3 + 8);
                var c32 = Vector512.Load(cp3 + 16);
                var cp4 = cross + ((i0 + 4) * columns) + j0;
                var c40 = Vector512.Load(cp4);
                var c41 = Vector512.Load(cp4 + 8);
                var c42 = Vector512.Load(cp4 + 16);
                var cp5 = cross + ((i0 + 5) * columns) + j0;
                var c50 = Vector512.Load(cp5);
                var c51 = Vector512.Load(cp5 + 8);
                var c52 = Vector512.Load(cp5 + 16);
                var cp6 = cross + ((i0 + 6) * columns) + j0;
                var c60 = Vector512.Load(cp6);
                var c61 = Vector512.Load(cp6 + 8);
                var c62 = Vector512.Load(cp6 + 16);
                var cp7 = cross + ((i0 + 7) * columns) + j0;
                var c70 = Vector512.Load(cp7);
                var c71 = Vector512.Load(cp7 + 8);
                var c72 = Vector512.Load(cp7 + 16);
                var end = count * Panel;
                for (var o = 0; o < end; o += Panel)
                {
                    var v0 = Vector512.Load(rp0 + o);
                    var v1 = Vector512.Load(rp1 + o);
                    var v2 = Vector512.Load(rp2 + o);
                    var b0 = Vector512.Create(wp[o]);
                    c00 = Vector512.FusedMultiplyAdd(b0, v0, c00);
                    c01 = Vector512.FusedMultiplyAdd(b0, v1, c01);
                    c02 = Vector512.FusedMultiplyAdd(b0, v2, c02);
                    var b1 = Vector512.Create(wp[o + 1]);
                    c10 = Vector512.FusedMultiplyAdd(b1, v0, c10);
                    c11 = Vector512.FusedMultiplyAdd(b1, v1, c11);
                    c12 = Vector512.FusedMultiplyAdd(b1, v2, c12);
                    var b2 = Vector512.Create(wp[o + 2]);
                    c20 = Vector512.FusedMultiplyAdd(b2, v0, c20);
                    c21 = Vector512.FusedMultiplyAdd(b2, v1, c21);
                    c22 = Vector512.FusedMultiplyAdd(b2, v2, c22);
                    var b3 = Vector512.Create(wp[o + 3]);
                    c30 = Vector512.FusedMultiplyAdd(b3, v0, c30);
                    c31 = Vector512.FusedMultiplyAdd(b3, v1, c31);
                    c32 = Vector512.FusedMultiplyAdd(b3, v2, c32);
                    var b4 = Vector512.Create(wp[o + 4]);
                    c40 = Vector512.FusedMultiplyAdd(b4, v0, c40);
                    c41 = Vector512.FusedMultiplyAdd(b4, v1, c41);
                    c42 = Vector512.FusedMultiplyAdd(b4, v2, c42);
                    var b5 = Vector512.Create(wp[o + 5]);
                    c50 = Vector512.FusedMultiplyAdd(b5, v0, c50);
                    c51 = Vector512.FusedMultiplyAdd(b5, v1, c51);
                    c52 = Vector512.FusedMultiplyAdd(b5, v2, c52);
                    var b6 = Vector512.Create(wp[o + 6]);
                    c60 = Vector512.FusedMultiplyAdd(b6, v0, c60);
                    c61 = Vector512.FusedMultiplyAdd(b6, v1, c61);
                    c62 = Vector512.FusedMultiplyAdd(b6, v2, c62);
                    var b7 = Vector512.Create(wp[o + 7]);
                    c70 = Vector512.FusedMultiplyAdd(b7, v0, c70);
                    c71 = Vector512.FusedMultiplyAdd(b7, v1, c71);
                    c72 = Vector512.FusedMultiplyAdd(b7, v2, c72);
                }

                c00.Store(cp0);
                c01.Store(cp0 + 8);
                c02.Store(cp0 + 16);
                c10.Store(cp1);
                c11.Store(cp1 + 8);
                c12.Store(cp1 + 16);
                c20.Store(cp2);
                c21.Store(cp2 + 8);
                c22.Store(cp2 + 16);
                c30.Store(cp3);
                c31.Store(cp3 + 8);
                c32.Store(cp3 + 16);
                c40.Store(cp4);
                c41.Store(cp4 + 8);
                c42.Store(cp4 + 16);
                c50.Store(cp5);
                c51.Store(cp5 + 8);
                c52.Store(cp5 + 16);
                c60.Store(cp6);
                c61.Store(cp6 + 8);
                c62.Store(cp6 + 16);
                c70.Store(cp7);
                c71.Store(cp7 + 8);
                c72.Store(cp7 + 16);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Lower256(double* rows, int rowPanelStride, double* weightedRows, int weightedPanelStride, int count, int columns, double* cross)
    {
        for (var i0 = 0; i0 < columns; i0 += 4)
        {
            var wp = weightedRows + ((i0 / Panel) * weightedPanelStride) + (i0 % Panel);
            for (var j0 = 0; j0 < columns && j0 <= i0 + 3; j0 += 12)
            {
                var rp0 = rows + (((j0) / Panel) * rowPanelStride) + ((j0) % Panel);
                var rp1 = rows + (((j0 + 4) / Panel) * rowPanelStride) + ((j0 + 4) % Panel);
                var rp2 = rows + (((j0 + 8) / Panel) * rowPanelStride) + ((j0 + 8) % Panel);
                var cp0 = cross + (i0 * columns) + j0;
                var c00 = Vector256.Load(cp0);
                var c01 = Vector256.Load(cp0 + 4);
                var c02 = Vector256.Load(cp0 + 8);
                var cp1 = cross + ((i0 + 1) * columns) + j0;
                var c10 = Vector256.Load(cp1);
                var c11 = Vector256.Load(cp1 + 4);
                var c12 = Vector256.Load(cp1 + 8);
                var cp2 = cross + ((i0 + 2) * columns) + j0;
                var c20 = Vector256.Load(cp2);
                var c21 = Vector256.Load(cp2 + 4);
                var c22 = Vector256.Load(cp2 + 8);
                var cp3 = cross + ((i0 + 3) * columns) + j0;
                var c30 = Vector256.Load(cp3);
                var c31 = Vector256.Load(cp3 + 4);
                var c32 = Vector256.Load(cp3 + 8);
                var end = count * Panel;
                for (var o = 0; o < end; o += Panel)
                {
                    var v0 = Vector256.Load(rp0 + o);
                    var v1 = Vector256.Load(rp1 + o);
                    var v2 = Vector256.Load(rp2 + o);
                    var b0 = Vector256.Create(wp[o]);
                    c00 = Vector256.FusedMultiplyAdd(b0, v0, c00);
                    c01 = Vector256.FusedMultiplyAdd(b0, v1, c01);
                    c02 = Vector256.FusedMultiplyAdd(b0, v2, c02);
                    var b1 = Vector256.Create(wp[o + 1]);
                    c10 = Vector256.FusedMultiplyAdd(b1, v0, c10);
                    c11 = Vector256.FusedMultiplyAdd(b1, v1, c11);
                    c12 = Vector256.FusedMultiplyAdd(b1, v2, c12);
                    var b2 = Vector256.Create(wp[o + 2]);
                    c20 = Vector256.FusedMultiplyAdd(b2, v0, c20);
                    c21 = Vector256.FusedMultiplyAdd(b2, v1, c21);
                    c22 = Vector256.FusedMultiplyAdd(b2, v2, c22);
                    var b3 = Vector256.Create(wp[o + 3]);
                    c30 = Vector256.FusedMultiplyAdd(b3, v0, c30);
                    c31 = Vector256.FusedMultiplyAdd(b3, v1, c31);
                    c32 = Vector256.FusedMultiplyAdd(b3, v2, c32);
                }

                c00.Store(cp0);
                c01.Store(cp0 + 4);
                c02.Store(cp0 + 8);
                c10.Store(cp1);
                c11.Store(cp1 + 4);
                c12.Store(cp1 + 8);
                c20.Store(cp2);
                c21.Store(cp2 + 4);
                c22.Store(cp2 + 8);
                c30.Store(cp3);
                c31.Store(cp3 + 4);
                c32.Store(cp3 + 8);
            }
        }
    }
}
