namespace FaceCluster.Vision.Tests;

/// <summary>Test material: the two test photos inside the checkout, and MTCNN's weights in <c>../shared</c> beside it.</summary>
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

    /// <summary>The folder holding facenet-pytorch's pnet.pt, rnet.pt and onet.pt.</summary>
    public static string Models => Require(Path.GetFullPath(Path.Combine(Root.Value, "..", "shared", "models", "mtcnn")));

    public static string Astronaut => Require(Path.Combine(Root.Value, "tests", "data", "images", "astronaut.png"));

    public static string Multiface => Require(Path.Combine(Root.Value, "tests", "data", "images", "multiface.jpg"));

    private static string Require(string path) =>
        File.Exists(path) || Directory.Exists(path) ? path : throw new FileNotFoundException($"test material missing from the checkout: {path}", path);
}
