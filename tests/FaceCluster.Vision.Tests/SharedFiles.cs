namespace FaceCluster.Vision.Tests;

/// <summary>The read-only material in <c>../shared</c> beside the checkout (never copied into the repository).</summary>
internal static class SharedFiles
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "FaceCluster.sln")))
            {
                return Path.GetFullPath(Path.Combine(folder.FullName, "..", "shared"));
            }
        }

        throw new InvalidOperationException($"no FaceCluster.sln above {AppContext.BaseDirectory}");
    });

    /// <summary>The folder holding facenet-pytorch's pnet.pt, rnet.pt and onet.pt.</summary>
    public static string Models => Require(Path.Combine(Root.Value, "models", "mtcnn"));

    public static string Astronaut => Require(Path.Combine(Root.Value, "images", "astronaut.png"));

    public static string Multiface => Require(Path.Combine(Root.Value, "images", "multiface.jpg"));

    private static string Require(string path) =>
        File.Exists(path) || Directory.Exists(path) ? path : throw new FileNotFoundException($"shared test material missing: {path}", path);
}
