using FaceCluster.Analysis;

namespace FaceCluster.Morphs.Tests;

public sealed class SelectionTests
{
    // Seeds x dimensions (A, B, C).
    private static readonly RowMajorMatrix Zx = new(6, 3,
    [
        /* s0 */ 3.0, 2.9, 0.0,   // highest on A but barely: differential 0.1
        /* s1 */ 2.0, -1.0, 0.5,  // differential 1.5
        /* s2 */ 1.0, -2.0, -2.0, // differential 3.0
        /* s3 */ 2.0, 0.0, 4.0,   // A not its highest: differential 2 - 4 = -2
        /* s4 */ 0.5, 0.0, 0.0,   // differential 0.5
        /* s5 */ double.NaN, 0.0, 0.0,
    ]);

    private static readonly string[] Ids = ["s0", "s1", "s2", "s3", "s4", "s5"];

    [Fact]
    public void Top_seeds_by_score_and_by_differential_on_a_hand_checked_matrix()
    {
        var selection = MorphSelection.Seeds(Zx, Ids, dimension: 0, count: 3);

        // Scores on A: s0 3, s1 2, s3 2 (tie: s1 first), s2 1, s4 0.5; s5 NaN is left out.
        Assert.Equal(["s0", "s1", "s3"], selection.ByScore);
        // Differentials: s2 3, s1 1.5, s4 0.5, s0 0.1, s3 -2.
        Assert.Equal(["s2", "s1", "s4"], selection.ByDifferential);
        Assert.Equal(["s0", "s1", "s3", "s2", "s4"], selection.Seeds);
    }

    [Fact]
    public void The_second_highest_is_the_highest_among_the_other_dimensions()
    {
        var selection = MorphSelection.Seeds(Zx, Ids, dimension: 2, count: 6);

        // Scores on C: s3 4, s1 0.5, then s0, s4, s5 at 0 in row order, s2 -2 (s5's NaN is on A, not C).
        Assert.Equal(["s3", "s1", "s0", "s4", "s5", "s2"], selection.ByScore);
        // C minus the best of A and B: s3 4 - 2, s4 0 - 0.5, s1 0.5 - 2, s0 0 - 3, s2 -2 - 1 (tie: s0 first); s5 has a NaN.
        Assert.Equal(["s3", "s4", "s1", "s0", "s2"], selection.ByDifferential);
        Assert.Equal(["s3", "s1", "s0", "s4", "s5", "s2"], selection.Seeds);
    }

    [Fact]
    public void One_dimension_ranks_the_differential_by_the_score_and_few_seeds_give_all()
    {
        var zx = new RowMajorMatrix(3, 1, [1.0, 3.0, 2.0]);
        var selection = MorphSelection.Seeds(zx, ["a", "b", "c"], 0);
        Assert.Equal(["b", "c", "a"], selection.ByScore);
        Assert.Equal(["b", "c", "a"], selection.ByDifferential);
        Assert.Equal(["b", "c", "a"], selection.Seeds);
    }

    [Fact]
    public void Mismatched_ids_are_refused()
    {
        Assert.Throws<ArgumentException>(() => MorphSelection.Seeds(Zx, ["a"], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MorphSelection.Seeds(Zx, Ids, 3));
    }
}
