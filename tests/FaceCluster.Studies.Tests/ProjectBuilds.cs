namespace FaceCluster.Studies.Tests; public class ProjectBuilds { [Fact] public void Assembly_loads() => Assert.NotNull(typeof(ProjectBuilds).Assembly); }
