using FaceCluster.Learning.Grains;

namespace FaceCluster.Grains.Tests;

/// <summary>The names of the morph faces in the output folder: lower case, punctuation to <c>_</c>, never two alike.</summary>
public sealed class MorphFileNameTests
{
    [Fact]
    public void Labels_that_differ_only_in_case_or_punctuation_get_distinct_files()
    {
        var taken = new HashSet<string>(StringComparer.Ordinal) { MorphRunKind.GridFile, "summary.json" };
        var names = new[] { ("Awe", "U.S."), ("Awe", "U S"), ("awe", "u-s"), ("Awe", "CN") }
            .Select(p => MorphRunKind.UniqueName(MorphRunKind.FaceFileName(p.Item1, p.Item2), taken))
            .ToArray();

        Assert.Equal(["awe_u_s_.png", "awe_u_s.png", "awe_u_s_2.png", "awe_cn.png"], names);
    }

    [Fact]
    public void A_face_never_takes_the_grid_or_the_summary()
    {
        var taken = new HashSet<string>(StringComparer.Ordinal) { MorphRunKind.GridFile, "summary.json" };
        Assert.Equal("grid_2.png", MorphRunKind.UniqueName("grid.png", taken));
    }
}
