using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FaceCluster.Analysis;

/// <summary>
/// Average ranks (analysis.md section 3), plain and weighted by integer multiplicities.
/// </summary>
/// <remarks>
/// Ranks are 1-based. In the plain form a value's rank is <c>(number of strictly smaller values) +
/// (number of values equal to it + 1) / 2</c>, so ties share the mean of the ranks they span. In the
/// weighted form entry <c>i</c> stands for <c>w_i</c> copies of its value and the rank of a value is
/// <c>(total weight of strictly smaller values) + (total weight of the values equal to it + 1) / 2</c>,
/// where equal values are grouped across entries: this is exactly the average rank that each copy would
/// get in the expanded list of <c>sum w</c> values, and duplicates drawn by a bootstrap are ties. Values
/// compare with <c>==</c>, so <c>-0.0</c> and <c>0.0</c> tie. Non-finite values are rejected.
/// </remarks>
public static class Ranks
{
    /// <summary>Average 1-based ranks of <paramref name="values"/>; ties get the mean rank.</summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public static double[] Average(ReadOnlySpan<double> values)
    {
        var column = new PresortedColumn(values);
        var ranks = new double[values.Length];
        column.AverageRanks(ranks);
        return ranks;
    }

    /// <summary>
    /// Weighted average ranks: entry <c>i</c> carries <paramref name="weights"/><c>[i]</c> copies of its
    /// value (all 1 when empty); <c>rank_i = W(&lt; v_i) + (W(= v_i) + 1) / 2</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A value is not finite, a weight is negative, or the lengths differ.</exception>
    public static double[] Weighted(ReadOnlySpan<double> values, ReadOnlySpan<int> weights)
    {
        var column = new PresortedColumn(values);
        var ranks = new double[values.Length];
        if (weights.IsEmpty)
        {
            column.AverageRanks(ranks);
        }
        else
        {
            column.WeightedRanks(weights, ranks);
        }

        return ranks;
    }
}

/// <summary>
/// A column sorted once, with its ties grouped, so that the weighted ranks of any resample (a vector of
/// multiplicities) take one pass over the presorted order (fast-loo.md section 5).
/// </summary>
public sealed class PresortedColumn
{
    private readonly int[] _order;

    // Start of each tie group in _order plus a final Count; null when all values are distinct.
    private readonly int[]? _groupStarts;

    /// <summary>Sorts <paramref name="values"/> (copied) and groups equal values.</summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public PresortedColumn(ReadOnlySpan<double> values)
    {
        var n = values.Length;
        var keys = values.ToArray();
        for (var i = 0; i < n; i++)
        {
            if (!double.IsFinite(keys[i]))
            {
                throw new ArgumentException($"Value {i} is {keys[i]}; ranks need finite values.", nameof(values));
            }
        }

        _order = new int[n];
        for (var i = 0; i < n; i++)
        {
            _order[i] = i;
        }

        Array.Sort(keys, _order);
        var groups = 0;
        for (var k = 0; k < n; k++)
        {
            if (k == 0 || keys[k] != keys[k - 1])
            {
                groups++;
            }
        }

        if (groups < n)
        {
            _groupStarts = new int[groups + 1];
            var g = 0;
            for (var k = 0; k < n; k++)
            {
                if (k == 0 || keys[k] != keys[k - 1])
                {
                    _groupStarts[g++] = k;
                }
            }

            _groupStarts[groups] = n;
        }
    }

    /// <summary>Number of entries.</summary>
    public int Count => _order.Length;

    /// <summary>Whether some values are equal.</summary>
    public bool HasTies => _groupStarts is not null;

    /// <summary>Average 1-based ranks (every weight 1) into <paramref name="ranks"/>.</summary>
    public void AverageRanks(Span<double> ranks)
    {
        if (ranks.Length != Count)
        {
            throw new ArgumentException($"Expected {Count} ranks.", nameof(ranks));
        }

        if (_groupStarts is null)
        {
            for (var k = 0; k < _order.Length; k++)
            {
                ranks[_order[k]] = k + 1;
            }

            return;
        }

        for (var g = 0; g + 1 < _groupStarts.Length; g++)
        {
            var start = _groupStarts[g];
            var end = _groupStarts[g + 1];
            var rank = (start + end + 1) * 0.5;
            for (var k = start; k < end; k++)
            {
                ranks[_order[k]] = rank;
            }
        }
    }

    /// <summary>
    /// Weighted ranks in one pass: <c>rank_i = W(&lt; v_i) + (W(= v_i) + 1) / 2</c> with
    /// <c>W</c> the total of <paramref name="weights"/> (non-negative multiplicities). An entry of weight 0
    /// still gets the rank its value would have.
    /// </summary>
    public void WeightedRanks(ReadOnlySpan<int> weights, Span<double> ranks)
    {
        if (weights.Length != Count || ranks.Length != Count)
        {
            throw new ArgumentException($"Expected {Count} weights and ranks.");
        }

        long cumulative = 0;
        if (_groupStarts is null)
        {
            foreach (var i in _order)
            {
                var w = weights[i];
                ArgumentOutOfRangeException.ThrowIfNegative(w, nameof(weights));
                ranks[i] = cumulative + ((w + 1) * 0.5);
                cumulative += w;
            }

            return;
        }

        for (var g = 0; g + 1 < _groupStarts.Length; g++)
        {
            var start = _groupStarts[g];
            var end = _groupStarts[g + 1];
            long groupWeight = 0;
            for (var k = start; k < end; k++)
            {
                var w = weights[_order[k]];
                ArgumentOutOfRangeException.ThrowIfNegative(w, nameof(weights));
                groupWeight += w;
            }

            var rank = cumulative + ((groupWeight + 1) * 0.5);
            for (var k = start; k < end; k++)
            {
                ranks[_order[k]] = rank;
            }

            cumulative += groupWeight;
        }
    }

    /// <summary>
    /// Hot path of the bootstrap: writes the centred weighted rank <c>rank_i - (total + 1) / 2 =
    /// (2 W(&lt; v_i) + W(= v_i) - total) / 2</c> (exact: a half-integer) of entry <c>i</c> to
    /// <c>target[offset_i]</c>, where <c>entries[i] = (offset_i &lt;&lt; 32) | w_i</c>. Trusted input:
    /// weights non-negative and summing to <paramref name="total"/>, offsets inside <paramref name="target"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void WriteCentredRanks(ReadOnlySpan<long> entries, long total, Span<double> target)
    {
        if (entries.Length != _order.Length)
        {
            throw new ArgumentException($"Expected {_order.Length} entries.", nameof(entries));
        }

        ref var entry = ref MemoryMarshal.GetReference(entries);
        ref var output = ref MemoryMarshal.GetReference(target);
        ref var order = ref MemoryMarshal.GetArrayDataReference(_order);
        var n = _order.Length;
        if (_groupStarts is null)
        {
            var twice = -total;
            for (var k = 0; k < n; k++)
            {
                var e = Unsafe.Add(ref entry, Unsafe.Add(ref order, k));
                var w = (long)(uint)e;
                Unsafe.Add(ref output, (nint)(e >> 32)) = (twice + w) * 0.5;
                twice += 2 * w;
            }

            return;
        }

        var starts = _groupStarts;
        var cumulativeTwice = -total;
        for (var g = 0; g + 1 < starts.Length; g++)
        {
            var start = starts[g];
            var end = starts[g + 1];
            long groupWeight = 0;
            for (var k = start; k < end; k++)
            {
                groupWeight += (uint)Unsafe.Add(ref entry, Unsafe.Add(ref order, k));
            }

            var value = (cumulativeTwice + groupWeight) * 0.5;
            for (var k = start; k < end; k++)
            {
                Unsafe.Add(ref output, (nint)(Unsafe.Add(ref entry, Unsafe.Add(ref order, k)) >> 32)) = value;
            }

            cumulativeTwice += 2 * groupWeight;
        }
    }
}
