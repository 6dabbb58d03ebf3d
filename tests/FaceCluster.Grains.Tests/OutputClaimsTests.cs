namespace FaceCluster.Grains.Tests;

/// <summary>The rule of <see cref="OutputClaims"/>: one unfinished run per output folder, stages inside their parent's.</summary>
public sealed class OutputClaimsTests
{
    private static Dictionary<string, OutputClaim> Held(params (string Run, string Output, string? Parent)[] claims) =>
        claims.ToDictionary(c => c.Run, c => new OutputClaim { Output = OutputClaims.Normalize(c.Output), Parent = c.Parent }, StringComparer.Ordinal);

    [Theory]
    [InlineData("out", "out")]
    [InlineData("./out/", "out")]
    [InlineData("a//b/./c", "a/b/c")]
    [InlineData(".", ".")]
    [InlineData("./", ".")]
    public void Paths_are_compared_normalized(string path, string normalized) => Assert.Equal(normalized, OutputClaims.Normalize(path));

    [Fact]
    public void The_same_folder_or_one_inside_the_other_conflicts_with_an_unfinished_run()
    {
        var held = Held(("a", "results/x", null));
        Assert.Equal("a", OutputClaims.Conflict("b", null, "results/x", held));
        Assert.Equal("a", OutputClaims.Conflict("b", null, "./results/x/", held));
        Assert.Equal("a", OutputClaims.Conflict("b", null, "results/x/inner", held));
        Assert.Equal("a", OutputClaims.Conflict("b", null, "results", held));
        Assert.Equal("a", OutputClaims.Conflict("b", null, ".", held));
        Assert.Null(OutputClaims.Conflict("b", null, "results/xy", held));
        Assert.Null(OutputClaims.Conflict("a", null, "results/x", held));
    }

    [Fact]
    public void A_stage_writes_inside_its_parents_folder_but_not_inside_a_strangers()
    {
        var held = Held(("p", "run", null), ("p.crop", "run/crops", "p"), ("q", "other", null));
        Assert.Null(OutputClaims.Conflict("p.train", "p", "run/model", held));
        Assert.Equal("p.crop", OutputClaims.Conflict("p.train", "p", "run/crops", held));
        Assert.Equal("q", OutputClaims.Conflict("p.ppca", "p", "other/ppca", held));
        Assert.Equal("p", OutputClaims.Conflict("stranger", null, "run/model", held));

        // The parent registering again (a retried start) does not conflict with its own stage.
        Assert.Null(OutputClaims.Conflict("p", null, "run", held));
    }

    [Theory]
    [InlineData("runs")]
    [InlineData("./grain-state/x")]
    [InlineData("runs/r1")]
    [InlineData("runs/r2/output")]
    public void The_data_roots_own_folders_are_never_outputs(string output) =>
        Assert.Contains("keeps for itself", OutputClaims.Internal(output, "r1"), StringComparison.Ordinal);

    [Theory]
    [InlineData("runsx")]
    [InlineData("results/runs")]
    [InlineData(".")]
    [InlineData("runs/r1/output")]
    public void Other_folders_and_the_runs_own_folder_are_not_internal(string output) => Assert.Null(OutputClaims.Internal(output, "r1"));
}
