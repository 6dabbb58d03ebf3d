namespace FaceCluster.Grains.Tests;

/// <summary>The scheduling rules of <see cref="RangeScheduler"/>, without a cluster.</summary>
public sealed class RangeSchedulerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static StageState Stage(int ranges, StagePlacement placement = StagePlacement.Any) => new()
    {
        Name = "s",
        Placement = placement,
        Ranges = [.. Enumerable.Range(0, ranges).Select(i => new RangeState { First = i * 10, Count = 10 })],
    };

    [Fact]
    public void Pending_ranges_go_in_order_to_the_silo_with_the_most_room_until_none_has_room()
    {
        var stage = Stage(5);
        var assigned = RangeScheduler.Assign(stage, [new("a", 1, false), new("b", 3, false)], T0);
        Assert.Equal(["b", "b", "a", "b"], assigned.Select(a => a.Silo));
        Assert.Equal([0, 10, 20, 30], assigned.Select(a => a.Range.First));
        Assert.All(assigned, a => Assert.Equal((RangeStatus.Running, 1, T0), (a.Range.Status, a.Range.Attempts, a.Range.AssignedAt!.Value)));
        Assert.Equal(RangeStatus.Pending, stage.Ranges[4].Status);
        Assert.Empty(RangeScheduler.Assign(stage, [new("a", 1, false), new("b", 3, false)], T0));
    }

    [Fact]
    public void A_stage_placed_on_gpu_silos_uses_only_them_when_there_are_some_and_any_silo_otherwise()
    {
        var gpu = Stage(2, StagePlacement.PreferGpu);
        Assert.Equal(["g", "g"], RangeScheduler.Assign(gpu, [new("c", 4, false), new("g", 2, true)], T0).Select(a => a.Silo));
        var none = Stage(1, StagePlacement.PreferGpu);
        Assert.Equal(["c"], RangeScheduler.Assign(none, [new("c", 4, false)], T0).Select(a => a.Silo));
    }

    [Fact]
    public void A_failed_range_goes_to_another_silo_when_one_has_room_and_fails_the_run_at_the_limit()
    {
        var scheduler = new RangeScheduler(maxFailures: 2, TimeSpan.FromMinutes(1));
        var stage = Stage(1);
        var range = stage.Ranges[0];
        Assert.Equal("a", RangeScheduler.Assign(stage, [new("a", 2, false), new("b", 1, false)], T0).Single().Silo);
        Assert.False(scheduler.Fail(range, "boom", T0));
        Assert.Equal((RangeStatus.Pending, 1, "boom"), (range.Status, range.Failures, range.LastError));

        // Not again before its backoff (1 s after the first failure, 4 s after the second).
        Assert.Empty(RangeScheduler.Assign(stage, [new("a", 2, false), new("b", 1, false)], T0 + TimeSpan.FromMilliseconds(900)));
        Assert.Equal("b", RangeScheduler.Assign(stage, [new("a", 2, false), new("b", 1, false)], T0 + TimeSpan.FromSeconds(1)).Single().Silo);
        Assert.Equal(TimeSpan.FromSeconds(4), RangeScheduler.Backoff(2));
        Assert.Equal(TimeSpan.FromMinutes(1), RangeScheduler.Backoff(9));
        Assert.True(scheduler.Fail(range, "again", T0));
    }

    [Fact]
    public void Review_finds_written_shards_dead_silos_and_timed_out_attempts()
    {
        var scheduler = new RangeScheduler(3, TimeSpan.FromMinutes(1));
        var stage = Stage(4);
        RangeScheduler.Assign(stage, [new("alive", 3, false), new("dead", 1, false)], T0);
        var onDead = stage.Ranges.Single(r => r.Silo == "dead");
        var written = stage.Ranges.First(r => r.Silo == "alive");
        var review = scheduler.Review(stage, r => r == written, silo => silo == "alive", T0 + TimeSpan.FromMinutes(2));
        Assert.Equal([written], review.Completed);
        Assert.Equal(RangeStatus.Done, written.Status);
        Assert.Equal([onDead], review.Reassigned);
        Assert.Equal((RangeStatus.Pending, 1, 0), (onDead.Status, onDead.Reassignments, onDead.Failures));
        Assert.Equal(2, review.TimedOut.Count);
        Assert.All(review.TimedOut, r => Assert.Equal("alive", r.Silo));

        // A stage's own timeout overrides the cluster's.
        stage.RangeTimeoutSeconds = 3600;
        Assert.Empty(scheduler.Review(stage, _ => false, _ => true, T0 + TimeSpan.FromMinutes(2)).TimedOut);
    }

    [Fact]
    public void A_range_whose_silo_dies_under_it_at_the_limit_is_poison_and_a_crash_is_not_a_failure_before()
    {
        var scheduler = new RangeScheduler(maxFailures: 3, TimeSpan.FromHours(1), maxSiloLosses: 2);
        var stage = Stage(1);
        var range = stage.Ranges[0];
        RangeScheduler.Assign(stage, [new("a", 1, false)], T0);
        var first = scheduler.Review(stage, _ => false, _ => false, T0);
        Assert.Equal([range], first.Reassigned);
        Assert.Empty(first.Poison);
        Assert.Equal((RangeStatus.Pending, 1, 0), (range.Status, range.SiloLosses, range.Failures));

        RangeScheduler.Assign(stage, [new("b", 1, false)], T0);
        var second = scheduler.Review(stage, _ => false, _ => false, T0);
        Assert.Empty(second.Reassigned);
        Assert.Equal([range], second.Poison);
        Assert.Equal(2, range.SiloLosses);

        // A rejected dispatch gives the attempt up without counting a death.
        RangeScheduler.Assign(stage, [new("c", 1, false)], T0);
        RangeScheduler.Abandon(range);
        Assert.Equal(2, range.SiloLosses);
    }

    [Fact]
    public void A_stage_without_ranges_is_complete()
    {
        Assert.True(RangeScheduler.IsComplete(Stage(0)));
        Assert.False(RangeScheduler.IsComplete(Stage(1)));
    }
}
