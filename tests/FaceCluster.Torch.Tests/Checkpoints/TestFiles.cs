namespace FaceCluster.Torch.Tests.Checkpoints;

/// <summary>Where the test's model files are, and scratch directories that clean up after themselves.</summary>
internal static class TestFiles
{
    /// <summary>The repository root: the first folder above the test binaries holding FaceCluster.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>facenet-pytorch's MTCNN weights (legacy serialisation) in the checkout: the source of FaceCluster.Vision's embedded copy.</summary>
    public static string MtcnnModel(string fileName)
    {
        var path = Path.Combine(RepositoryRoot, "src", "FaceCluster.Vision", "Weights", fileName);
        Assert.True(File.Exists(path), $"{path} is missing: the MTCNN weights belong in src/FaceCluster.Vision/Weights of the checkout");
        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FaceCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No FaceCluster.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "facecluster-checkpoints-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Exact tensor comparison: same dtype, same shape, every element equal.</summary>
internal static class TensorAssert
{
    public static void Identical(TorchSharp.torch.Tensor expected, TorchSharp.torch.Tensor actual, string what)
    {
        Assert.True(expected.dtype == actual.dtype, $"{what}: dtype {actual.dtype}, expected {expected.dtype}");
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: shape [{string.Join(",", actual.shape)}], expected [{string.Join(",", expected.shape)}]");
        using var equal = expected.eq(actual);
        using var all = equal.all();
        Assert.True(all.item<bool>(), $"{what}: values differ");
    }
}
