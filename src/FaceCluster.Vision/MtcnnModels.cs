namespace FaceCluster.Vision;

/// <summary>Where MTCNN's weights are found when no folder is named.</summary>
public static class MtcnnModels
{
    /// <summary>Environment variable naming the folder that holds <c>pnet.pt</c>, <c>rnet.pt</c> and <c>onet.pt</c>.</summary>
    public const string DirectoryVariable = "FACECLUSTER_MTCNN_MODELS";

    /// <summary>The folder, relative to an ancestor folder, where a checkout finds the shared weights.</summary>
    public static readonly string SharedRelativePath = Path.Combine("shared", "models", "mtcnn");

    /// <summary>
    /// The default weights folder: <see cref="DirectoryVariable"/> when set; otherwise the first
    /// <c>shared/models/mtcnn</c> holding <c>pnet.pt</c> in the current folder or one of its parents, then in the
    /// application's base folder or one of its parents (so <c>../shared/models/mtcnn</c> beside a checkout is found
    /// from anywhere inside it). Null when none is found.
    /// </summary>
    public static string? FindDefaultDirectory()
    {
        var named = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrWhiteSpace(named))
        {
            return Path.GetFullPath(named);
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, SharedRelativePath);
                if (File.Exists(Path.Combine(candidate, Mtcnn.WeightFiles[0])))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
