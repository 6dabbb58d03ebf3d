using System.Runtime.CompilerServices;

namespace FaceCluster.Analysis;

/// <summary>
/// Roots of the secular equation of a symmetric rank-one update <c>diag(poles) + rho z z^T</c>
/// (rho &gt; 0, poles strictly ascending, no z_j zero):
/// <c>f(t) = 1 + sum_j w_j / (poles_j - t) = 0</c> with <c>w_j = rho z_j^2</c>.
/// Root <c>l</c> lies in <c>(poles_l, poles_{l+1})</c>, the last one in
/// <c>(poles_{n-1}, poles_{n-1} + sum w)</c>. Each root is returned relative to its nearer pole
/// (<c>t = poles[origin] + tau</c>) to full relative precision, so that the differences
/// <c>poles_j - t = (poles_j - poles[origin]) - tau</c> that build eigenvectors are accurate
/// (as LAPACK's dlaed4). The iteration is the "middle way" of Li (1994): each step models the
/// sums below and above the root by one rational term per neighbouring pole and solves the
/// resulting quadratic; a bracket falls back to bisection if a step would leave it.
/// </summary>
internal static class SecularEquation
{
    private const int MaxIterations = 64;

    /// <summary>Solves root <paramref name="l"/>; false when it did not converge (caller refits).</summary>
    public static bool SolveRoot(ReadOnlySpan<double> poles, ReadOnlySpan<double> weights, int l, out int origin, out double tau)
    {
        var n = poles.Length;
        double lower, upper;
        double psi, dpsi, phi, dphi;
        if (l < n - 1)
        {
            var gap = poles[l + 1] - poles[l];
            var half = 0.5 * gap;
            Evaluate(poles, weights, l, poles[l], half, out psi, out dpsi, out phi, out dphi);
            var fMid = 1.0 + psi + phi;
            if (fMid >= 0)
            {
                origin = l;
                lower = 0;
                upper = half;
                tau = half;
            }
            else
            {
                // Re-express the midpoint relative to the upper pole; the sums are unchanged.
                origin = l + 1;
                lower = -half;
                upper = 0;
                tau = -(gap - half);
            }
        }
        else
        {
            origin = l;
            double total = 0;
            foreach (var w in weights)
            {
                total += w;
            }

            lower = 0;
            upper = total;
            tau = total;
            Evaluate(poles, weights, l, poles[l], tau, out psi, out dpsi, out phi, out dphi);
        }

        var anchor = poles[origin];
        var lowPole = poles[l] - anchor;
        var highPole = l < n - 1 ? poles[l + 1] - anchor : double.PositiveInfinity;
        var previousModelled = false;
        var previousStep = double.PositiveInfinity;
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            var f = 1.0 + psi + phi;
            var errorBound = (8.0 * (Math.Abs(psi) + Math.Abs(phi))) + 1.0 + (Math.Abs(tau) * (dpsi + dphi));
            if (Math.Abs(f) <= double.Epsilon * 4 || Math.Abs(f) <= 2.2e-16 * errorBound)
            {
                return true;
            }

            if (f < 0)
            {
                lower = tau;
            }
            else
            {
                upper = tau;
            }

            var next = ModelStep(tau, psi, dpsi, phi, dphi, lowPole, highPole, origin == l);
            var modelled = next > lower && next < upper;
            if (!modelled)
            {
                next = 0.5 * (lower + upper);
            }

            var relativeStep = Math.Abs(next - tau) / Math.Abs(next);
            tau = next;
            if (relativeStep <= 2.2e-16 || upper - lower <= 4.4e-16 * Math.Max(Math.Abs(lower), Math.Abs(upper)))
            {
                return true;
            }

            // The model step converges quadratically (error after a step ~ 10 step^2, measured): once
            // two model steps in a row are small, the last one has reached full precision and a
            // confirming evaluation would only cost another O(n) pass.
            if (modelled && previousModelled && relativeStep <= 1e-8 && previousStep <= 1e-2)
            {
                return true;
            }

            previousModelled = modelled;
            previousStep = relativeStep;

            Evaluate(poles, weights, l, anchor, tau, out psi, out dpsi, out phi, out dphi);
        }

        return false;
    }

    /// <summary>
    /// Sums split at root index <paramref name="l"/>: psi over poles 0..l, phi over l+1..n-1,
    /// with derivatives, at <c>t = anchor + tau</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Evaluate(
        ReadOnlySpan<double> poles, ReadOnlySpan<double> weights, int l, double anchor, double tau,
        out double psi, out double dpsi, out double phi, out double dphi)
    {
        VectorKernels.SecularSums(poles[..(l + 1)], weights[..(l + 1)], anchor, tau, out psi, out dpsi);
        VectorKernels.SecularSums(poles[(l + 1)..], weights[(l + 1)..], anchor, tau, out phi, out dphi);
    }

    /// <summary>
    /// Solves <c>C + Q/(lowPole - t) + S/(highPole - t) = 0</c> in <c>(lowPole, highPole)</c>, where
    /// the two rational terms match psi and phi (value and slope) at <paramref name="tau"/>.
    /// </summary>
    private static double ModelStep(double tau, double psi, double dpsi, double phi, double dphi, double lowPole, double highPole, bool originIsLow)
    {
        var dl = lowPole - tau;
        var q = dpsi * dl * dl;
        var c = 1.0 + (psi - (dpsi * dl));
        if (double.IsPositiveInfinity(highPole))
        {
            // Last root: no pole above; C + Q/(0 - t) = 0.
            return c > 0 ? q / c : double.NaN;
        }

        var dh = highPole - tau;
        var s = dphi * dh * dh;
        c += phi - (dphi * dh);
        if (originIsLow)
        {
            // lowPole = 0: C t^2 - (C b + Q + S) t + Q b = 0, root of smaller magnitude.
            var b = highPole;
            var bb = (c * b) + q + s;
            var disc = Math.Max(0.0, (bb * bb) - (4.0 * c * q * b));
            return 2.0 * q * b / (bb + Math.Sqrt(disc));
        }
        else
        {
            // highPole = 0: mirror of the case above (t -> -t, Q <-> S, C -> -C).
            var a = -lowPole;
            var cm = -c;
            var bb = (cm * a) + q + s;
            var disc = Math.Max(0.0, (bb * bb) - (4.0 * cm * s * a));
            return -(2.0 * s * a / (bb + Math.Sqrt(disc)));
        }
    }
}
