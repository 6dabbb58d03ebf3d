using System.Diagnostics;

namespace FaceCluster.Cli.Tests;

/// <summary>
/// A folder standing in for an external libtorch (PyTorch's lib folder on a GPU node): hard links to the CPU libraries
/// beside the tests, so that a process's memory map shows which copy it opened. Removed on dispose.
/// </summary>
internal sealed class ExternalLibTorchFolder : IDisposable
{
    private ExternalLibTorchFolder(string path) => Path = path;

    public string Path { get; }

    public static async Task<ExternalLibTorchFolder> CreateAsync(CancellationToken cancellationToken)
    {
        var folder = new ExternalLibTorchFolder(Directory.CreateTempSubdirectory("facecluster-libtorch-").FullName);
        try
        {
            foreach (var library in Directory.EnumerateFiles(AppContext.BaseDirectory, "lib*.so*")
                         .Where(f => !System.IO.Path.GetFileName(f).StartsWith("libLibTorchSharp", StringComparison.Ordinal)))
            {
                using var link = Process.Start("ln", [library, System.IO.Path.Combine(folder.Path, System.IO.Path.GetFileName(library))])!;
                await link.WaitForExitAsync(cancellationToken);
                Assert.Equal(0, link.ExitCode);
            }

            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
