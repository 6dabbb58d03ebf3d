namespace FaceCluster.Vision.Tests;

/// <summary>Test material inside the checkout: the source copy of MTCNN's weights and the two test photos.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "FaceCluster.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no FaceCluster.sln above {AppContext.BaseDirectory}");
    });

    /// <summary>The folder holding facenet-pytorch's pnet.pt, rnet.pt and onet.pt (what FaceCluster.Vision embeds).</summary>
    public static string Models => Require(Path.Combine(Root.Value, "src", "FaceCluster.Vision", "Weights"));

    public static string Astronaut => Require(Path.Combine(Root.Value, "tests", "data", "images", "astronaut.png"));

    public static string Multiface => Require(Path.Combine(Root.Value, "tests", "data", "images", "multiface.jpg"));

    /// <summary>A file of the checkout by its path relative to the root ('/'-separated).</summary>
    public static string At(string relativePath) => Require(Path.Combine(Root.Value, relativePath.Replace('/', Path.DirectorySeparatorChar)));

    private static string Require(string path) =>
        File.Exists(path) || Directory.Exists(path) ? path : throw new FileNotFoundException($"test material missing from the checkout: {path}", path);
}
