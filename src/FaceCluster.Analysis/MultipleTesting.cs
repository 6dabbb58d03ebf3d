namespace FaceCluster.Analysis;

/// <summary>False discovery rate control over ordered or unordered p-values (analysis.md section 5).</summary>
public static class MultipleTesting
{
    /// <summary>Lower clamp of <c>1 - p</c> inside <see cref="ForwardStop"/> (a choice of the spec).</summary>
    public const double ForwardStopFloor = 1e-16;

    /// <summary>
    /// Benjamini-Hochberg adjusted p-values: with <c>p_(1) &lt;= ... &lt;= p_(k)</c> the sorted values,
    /// <c>q_(i) = min(1, min_{t &gt;= i} p_(t) k / t)</c>, returned in the input order. A NaN p-value is
    /// treated as 1. <c>{j : q_j &lt;= alpha}</c> is the BH rejection set at level <c>alpha</c>.
    /// </summary>
    public static double[] BenjaminiHochberg(ReadOnlySpan<double> p)
    {
        var k = p.Length;
        var q = new double[k];
        if (k == 0)
        {
            return q;
        }

        var values = new double[k];
        var order = new int[k];
        for (var i = 0; i < k; i++)
        {
            values[i] = double.IsNaN(p[i]) ? 1.0 : p[i];
            order[i] = i;
        }

        // Stable order (ties by index); equal p-values get equal q-values whatever their order.
        Array.Sort(order, (a, b) => values[a] != values[b] ? values[a].CompareTo(values[b]) : a.CompareTo(b));
        var running = 1.0;
        for (var t = k; t >= 1; t--)
        {
            var index = order[t - 1];
            running = Math.Min(running, values[index] * k / t);
            q[index] = running;
        }

        return q;
    }

    /// <summary>
    /// ForwardStop (G'Sell, Wager, Chouldechova and Tibshirani 2016) over the ordered p-values
    /// <c>p_1..p_k</c>: <c>Y_m = -(1/m) sum_{i &lt;= m} ln(max(1 - p_i, 1e-16))</c> and the result is
    /// <c>kf = max{m : Y_m &lt;= alpha}</c>, 0 when there is none; the first <c>kf</c> hypotheses are
    /// rejected. A NaN p-value is treated as 1.
    /// </summary>
    public static int ForwardStop(ReadOnlySpan<double> p, double alpha = 0.05)
    {
        var sum = 0.0;
        var kf = 0;
        for (var m = 1; m <= p.Length; m++)
        {
            var pm = double.IsNaN(p[m - 1]) ? 1.0 : p[m - 1];
            sum -= Math.Log(Math.Max(1.0 - pm, ForwardStopFloor));
            if (sum / m <= alpha)
            {
                kf = m;
            }
        }

        return kf;
    }
}

/// <summary>
/// The dimension selection of analysis.md section 5, per dimension in the original order:
/// <c>A = {j : q_j &lt;= alpha}</c> (Benjamini-Hochberg), <c>F = {1..kf}</c> (ForwardStop),
/// <c>N = {j : snr_j &gt; threshold}</c>; significant = <c>A ∩ F ∩ N</c>.
/// </summary>
/// <param name="Q">Benjamini-Hochberg adjusted p-values.</param>
/// <param name="Bh">Membership of <c>A</c>.</param>
/// <param name="ForwardStopCount"><c>kf</c>.</param>
/// <param name="ForwardStop">Membership of <c>F</c> (the first <c>kf</c> dimensions).</param>
/// <param name="SnrPass">Membership of <c>N</c> (a NaN snr never passes; <c>+inf</c> does).</param>
/// <param name="Significant">Membership of <c>A ∩ F ∩ N</c>.</param>
public sealed record DimensionSelection(double[] Q, bool[] Bh, int ForwardStopCount, bool[] ForwardStop, bool[] SnrPass, bool[] Significant)
{
    /// <summary>The level of section 5.</summary>
    public const double DefaultAlpha = 0.05;

    /// <summary>The signal-to-noise threshold of section 5.</summary>
    public const double DefaultSnrThreshold = 3.0;

    /// <summary>Indices (0-based) of the significant dimensions, in their original order.</summary>
    public int[] SignificantIndices => Enumerable.Range(0, Significant.Length).Where(j => Significant[j]).ToArray();

    /// <summary>Applies section 5 to the bootstrap p-values and signal-to-noise ratios of dimensions <c>1..k</c>.</summary>
    public static DimensionSelection Select(
        ReadOnlySpan<double> p, ReadOnlySpan<double> snr, double alpha = DefaultAlpha, double snrThreshold = DefaultSnrThreshold)
    {
        if (p.Length != snr.Length)
        {
            throw new ArgumentException($"Got {p.Length} p-values and {snr.Length} signal-to-noise ratios.");
        }

        var k = p.Length;
        var q = MultipleTesting.BenjaminiHochberg(p);
        var kf = MultipleTesting.ForwardStop(p, alpha);
        var bh = new bool[k];
        var forward = new bool[k];
        var snrPass = new bool[k];
        var significant = new bool[k];
        for (var j = 0; j < k; j++)
        {
            bh[j] = q[j] <= alpha;
            forward[j] = j < kf;
            snrPass[j] = snr[j] > snrThreshold;
            significant[j] = bh[j] && forward[j] && snrPass[j];
        }

        return new DimensionSelection(q, bh, kf, forward, snrPass, significant);
    }
}
