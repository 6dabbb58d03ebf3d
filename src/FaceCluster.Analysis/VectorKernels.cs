using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FaceCluster.Analysis;

/// <summary>
/// Hot loops of the fast leave-one-out. Every kernel works in 8 lanes (<see cref="Vector512{T}"/>,
/// native on AVX-512 and emulated on two 256-bit halves elsewhere) and reduces the lanes in one
/// fixed order, so a result has the same bits on every processor: a cluster of mixed machines
/// still gives bit-identical outputs (analysis.md section 10).
/// </summary>
internal static class VectorKernels
{
    private const int Lanes = 8;

    /// <summary><c>y += alpha x</c>.</summary>
    public static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        var n = x.Length;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var i = 0;
        var va = Vector512.Create(alpha);
        for (; i <= n - Lanes; i += Lanes)
        {
            var vy = Vector512.LoadUnsafe(ref ry, (nuint)i) + (va * Vector512.LoadUnsafe(ref rx, (nuint)i));
            vy.StoreUnsafe(ref ry, (nuint)i);
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref ry, i) += alpha * Unsafe.Add(ref rx, i);
        }
    }

    /// <summary><c>sum_c a_c b_c</c>.</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var n = a.Length;
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        var acc = Vector512<double>.Zero;
        var i = 0;
        for (; i <= n - Lanes; i += Lanes)
        {
            acc += Vector512.LoadUnsafe(ref ra, (nuint)i) * Vector512.LoadUnsafe(ref rb, (nuint)i);
        }

        var sum = Reduce(acc);
        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref ra, i) * Unsafe.Add(ref rb, i);
        }

        return sum;
    }

    /// <summary>
    /// <c>result_c = numerator_c / ((poles_c - anchor) - tau)</c>: a column of a secular
    /// eigenvector before normalisation.
    /// </summary>
    public static void DivideByShiftedPoles(ReadOnlySpan<double> numerator, ReadOnlySpan<double> poles, double anchor, double tau, Span<double> result)
    {
        var n = poles.Length;
        ref var rn = ref MemoryMarshal.GetReference(numerator);
        ref var rp = ref MemoryMarshal.GetReference(poles);
        ref var rr = ref MemoryMarshal.GetReference(result);
        var va = Vector512.Create(anchor);
        var vt = Vector512.Create(tau);
        var i = 0;
        for (; i <= n - Lanes; i += Lanes)
        {
            var d = (Vector512.LoadUnsafe(ref rp, (nuint)i) - va) - vt;
            (Vector512.LoadUnsafe(ref rn, (nuint)i) / d).StoreUnsafe(ref rr, (nuint)i);
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rr, i) = Unsafe.Add(ref rn, i) / ((Unsafe.Add(ref rp, i) - anchor) - tau);
        }
    }

    /// <summary><c>product_c *= ((poles_c - anchor) - tau) * scale_c</c>: one Gu-Eisenstat factor.</summary>
    public static void MultiplyByShiftedPoles(ReadOnlySpan<double> poles, double anchor, double tau, ReadOnlySpan<double> scale, Span<double> product)
    {
        var n = poles.Length;
        ref var rp = ref MemoryMarshal.GetReference(poles);
        ref var rs = ref MemoryMarshal.GetReference(scale);
        ref var rr = ref MemoryMarshal.GetReference(product);
        var va = Vector512.Create(anchor);
        var vt = Vector512.Create(tau);
        var i = 0;
        for (; i <= n - Lanes; i += Lanes)
        {
            var d = (Vector512.LoadUnsafe(ref rp, (nuint)i) - va) - vt;
            (Vector512.LoadUnsafe(ref rr, (nuint)i) * (d * Vector512.LoadUnsafe(ref rs, (nuint)i))).StoreUnsafe(ref rr, (nuint)i);
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rr, i) *= ((Unsafe.Add(ref rp, i) - anchor) - tau) * Unsafe.Add(ref rs, i);
        }
    }

    /// <summary>
    /// <c>sum = sum_j w_j / ((poles_j - anchor) - tau)</c> and its derivative in tau,
    /// <c>sum_j w_j / ((poles_j - anchor) - tau)^2</c>.
    /// </summary>
    public static void SecularSums(ReadOnlySpan<double> poles, ReadOnlySpan<double> weights, double anchor, double tau, out double sum, out double derivative)
    {
        var n = poles.Length;
        ref var rp = ref MemoryMarshal.GetReference(poles);
        ref var rw = ref MemoryMarshal.GetReference(weights);
        var va = Vector512.Create(anchor);
        var vt = Vector512.Create(tau);
        var vs = Vector512<double>.Zero;
        var vd = Vector512<double>.Zero;
        var i = 0;
        for (; i <= n - Lanes; i += Lanes)
        {
            var inv = Vector512<double>.One / ((Vector512.LoadUnsafe(ref rp, (nuint)i) - va) - vt);
            var term = Vector512.LoadUnsafe(ref rw, (nuint)i) * inv;
            vs += term;
            vd += term * inv;
        }

        var s = Reduce(vs);
        var d = Reduce(vd);
        for (; i < n; i++)
        {
            var inv = 1.0 / ((Unsafe.Add(ref rp, i) - anchor) - tau);
            var term = Unsafe.Add(ref rw, i) * inv;
            s += term;
            d += term * inv;
        }

        sum = s;
        derivative = d;
    }

    /// <summary>Sums the 8 lanes in a fixed pairwise order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Reduce(Vector512<double> v)
    {
        var half = v.GetLower() + v.GetUpper();
        var quarter = half.GetLower() + half.GetUpper();
        return quarter.GetElement(0) + quarter.GetElement(1);
    }
}
