using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FaceCluster.Analysis;

/// <summary>Small vectorised helpers for the inner loops. Each gives the same bits for the same input on one machine.</summary>
internal static class VectorMath
{
    /// <summary><c>sum_i a_i b_i</c> over the common length, vectorised where the hardware allows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var n = Math.Min(a.Length, b.Length);
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        var i = 0;
        var sum = 0.0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc0 = Vector512<double>.Zero;
            var acc1 = Vector512<double>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ra, (nuint)i), Vector512.LoadUnsafe(ref rb, (nuint)i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ra, (nuint)(i + 8)), Vector512.LoadUnsafe(ref rb, (nuint)(i + 8)), acc1);
            }

            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                acc0 += Vector256.LoadUnsafe(ref ra, (nuint)i) * Vector256.LoadUnsafe(ref rb, (nuint)i);
                acc1 += Vector256.LoadUnsafe(ref ra, (nuint)(i + 4)) * Vector256.LoadUnsafe(ref rb, (nuint)(i + 4));
            }

            sum = Vector256.Sum(acc0 + acc1);
        }

        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
