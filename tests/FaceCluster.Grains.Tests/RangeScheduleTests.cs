namespace FaceCluster.Grains.Tests;

public sealed class RangeScheduleTests
{
    private static void AssertContiguous(IReadOnlyList<(int First, int Count)> ranges, int units)
    {
        var next = 0;
        foreach (var (first, count) in ranges)
        {
            Assert.Equal(next, first);
            Assert.True(count > 0, $"empty range at {first}");
            next += count;
        }

        Assert.Equal(units, next);
    }

    [Fact]
    public void Guided_ranges_start_at_a_quarter_of_the_units_per_two_slots_and_shrink_to_one()
    {
        var ranges = RangeSchedule.Guided(200, slots: 2);

        AssertContiguous(ranges, 200);
        Assert.Equal([50, 38, 28, 21, 16, 12, 9, 7, 5, 4, 3, 2, 2, 1, 1, 1], ranges.Select(r => r.Count));
    }

    [Fact]
    public void Guided_ranges_are_capped_at_the_maximum_until_the_remaining_units_call_for_less()
    {
        var ranges = RangeSchedule.Guided(200, slots: 2, maximum: 16);

        AssertContiguous(ranges, 200);
        Assert.Equal([16, 16, 16, 16, 16, 16, 16, 16, 16, 14, 11, 8, 6, 5, 3, 3, 2, 1, 1, 1, 1], ranges.Select(r => r.Count));
    }

    [Theory]
    [InlineData(1, 1, 1, 1, int.MaxValue)]
    [InlineData(12, 2, 1, 1, int.MaxValue)]
    [InlineData(1000, 6, 1, 1, int.MaxValue)]
    [InlineData(100000, 2, 1, 1, 16)]
    [InlineData(600, 2, 8, 8, int.MaxValue)]
    [InlineData(600, 2, 8, 8, 24)]
    [InlineData(121, 4, 8, 8, 8)]
    [InlineData(37, 64, 3, 1, 5)]
    public void Guided_ranges_cover_every_unit_once_never_grow_and_respect_minimum_maximum_and_granule(int units, int slots, int minimum, int granule, int maximum)
    {
        var ranges = RangeSchedule.Guided(units, slots, minimum, granule, maximum);

        AssertContiguous(ranges, units);
        for (var i = 1; i < ranges.Count; i++)
        {
            Assert.True(ranges[i].Count <= ranges[i - 1].Count, $"range {i} grows: {string.Join(", ", ranges)}");
        }

        // Only the last range may fall short of the minimum or of a whole granule (when fewer units remain).
        Assert.All(ranges.SkipLast(1), r => Assert.True(r.Count >= minimum && r.Count % granule == 0, r.ToString()));
        Assert.All(ranges, r => Assert.True(r.Count <= maximum, r.ToString()));
        Assert.True(ranges[0].Count >= Math.Min(Math.Min(units, maximum), (units + (2 * slots) - 1) / (2 * slots)));
    }

    [Fact]
    public void Fixed_ranges_have_the_size_asked_for_and_a_shorter_last_one()
    {
        var ranges = RangeSchedule.Fixed(10, 4);
        AssertContiguous(ranges, 10);
        Assert.Equal([4, 4, 2], ranges.Select(r => r.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => RangeSchedule.Guided(10, slots: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RangeSchedule.Fixed(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RangeSchedule.Guided(10, slots: 2, minimum: 4, maximum: 3));
    }
}
