using FaceCluster.Analysis;
using FaceCluster.Studies;

namespace FaceCluster.Morphs.Tests;

public sealed class PlanTests
{
    [Fact]
    public void Each_cell_holds_the_mimics_of_the_selected_seeds_made_in_its_country()
    {
        // Two dimensions, three seeds; one seed per ranking.
        var scores = new RotatedScores(["A", "B"], new RowMajorMatrix(3, 2, [5.0, 4.9, 1.0, -1.0, 0.0, 3.0]), new RowMajorMatrix(3, 2));
        StudyImage[] images =
        [
            new(1, "s0", "seed", "s0", null, null, "s0.jpg", null),
            new(2, "m1", "mimic", "s1", "USA", "p1", "m1.jpg", null),
            new(3, "m2", "mimic", "s0", "USA", "p2", "m2.jpg", null),
            new(4, "m3", "mimic", "s0", "China", "p3", "m3.jpg", null),
            new(5, "m4", "mimic", "s2", "USA", "p4", "m4.jpg", null),
            new(6, null, "mimic", "s0", "USA", "p5", "m5.jpg", null),
        ];

        var cells = MorphPlan.Build(scores, ["s0", "s1", "s2"], images, ["USA", "China"], count: 1);

        // A: top score s0 (5), top differential s1 (1 - (-1) = 2) -> seeds s0, s1.
        Assert.Equal(["s0", "s1"], cells[0].Seeds.Seeds);
        Assert.Equal(("A", "USA"), (cells[0].Dimension, cells[0].Country));
        Assert.Equal(["m1", "m2"], cells[0].MimicIds);
        Assert.Equal(["m3"], cells[1].MimicIds);
        // B: top score s0 (4.9); top differential s2 (3 - 0 = 3) -> seeds s0, s2.
        Assert.Equal(["s0", "s2"], cells[2].Seeds.Seeds);
        Assert.Equal(["m2", "m4"], cells[2].MimicIds);
        Assert.Equal(["m3"], cells[3].MimicIds);
        Assert.Equal(new HashSet<string> { "m1", "m2", "m3", "m4" }, MorphPlan.Wanted(cells));
    }
}
