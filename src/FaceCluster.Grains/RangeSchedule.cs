namespace FaceCluster.Grains;

/// <summary>
/// How a stage of <c>units</c> units is cut into contiguous ranges. A request's explicit range size gives fixed ranges;
/// otherwise the schedule is guided: each range takes <c>ceil(remaining / (2 x slots))</c> units (rounded up to whole
/// granules, never below the minimum nor above the maximum), so the first ranges are large (few shards, few reports) and
/// the last ones small (the cluster's slots finish together instead of one slot computing the last large range alone).
/// The maximum bounds what a lost silo costs and how long progress waits for the first shard.
/// </summary>
/// <remarks>
/// The ranges are fixed when the stage is scheduled and persisted with it, so a present shard still names a finished
/// range and a range can still be reassigned as it is; results do not depend on the cut (every unit is a pure function
/// of its index), only the number of shards does.
/// </remarks>
public static class RangeSchedule
{
    /// <summary>The guided divisor: each range takes the remaining units over this many times the slots.</summary>
    public const int SlotsDivisor = 2;

    /// <summary>Ranges of exactly <paramref name="size"/> units (the last one shorter).</summary>
    public static IReadOnlyList<(int First, int Count)> Fixed(int units, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(units);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var ranges = new List<(int, int)>();
        for (var first = 0; first < units; first += size)
        {
            ranges.Add((first, Math.Min(size, units - first)));
        }

        return ranges;
    }

    /// <summary>Guided ranges: large first, shrinking toward the end (see <see cref="RangeSchedule"/>).</summary>
    /// <param name="units">Units of the stage.</param>
    /// <param name="slots">Worker slots of the cluster (at least 1).</param>
    /// <param name="minimum">The smallest range (the last range may be shorter when fewer units remain).</param>
    /// <param name="granule">Range sizes are whole multiples of this (for example the 8-fold batches of the fast leave-one-out).</param>
    /// <param name="maximum">The largest range (at least <paramref name="minimum"/>; a whole number of granules is best).</param>
    public static IReadOnlyList<(int First, int Count)> Guided(int units, int slots, int minimum = 1, int granule = 1, int maximum = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(units);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimum, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(granule, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximum, minimum);
        var ranges = new List<(int, int)>();
        var divisor = (long)SlotsDivisor * slots;
        for (var first = 0; first < units;)
        {
            var remaining = units - first;
            var size = (int)((remaining + divisor - 1) / divisor);
            size = Math.Clamp(size, minimum, maximum);
            size = (int)Math.Min(Math.Min((size + (long)granule - 1) / granule * granule, maximum), remaining);
            ranges.Add((first, size));
            first += size;
        }

        return ranges;
    }
}
