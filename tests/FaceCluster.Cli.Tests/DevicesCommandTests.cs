using System.Diagnostics;

namespace FaceCluster.Cli.Tests;

public sealed class DevicesCommandTests
{
    [Fact]
    public async Task Devices_names_the_libtorch_in_use_and_the_cpu_fallback()
    {
        var run = await CliRun.Of("devices");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("libtorch 2.10", run.Output, StringComparison.Ordinal);
        Assert.Contains("libtorch_cpu.so", run.Output, StringComparison.Ordinal);
        Assert.Contains("CUDA:", run.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// FACECLUSTER_LIBTORCH makes a fresh process load libtorch from the named folder rather than from beside the app
    /// (the GPU-node path, where the folder is PyTorch's own lib folder). The folder here holds hard links to the CPU
    /// libraries, so the process's memory map shows which copy it opened.
    /// </summary>
    [Fact]
    public async Task An_external_libtorch_folder_is_loaded_instead_of_the_bundled_one()
    {
        using var folder = await ExternalLibTorchFolder.CreateAsync(TestContext.Current.CancellationToken);
        var external = folder.Path;
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "facecluster.dll"), "devices"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["FACECLUSTER_LIBTORCH"] = external;
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(process.ExitCode == 0, error);
        Assert.Contains($"external, from {external}", output, StringComparison.Ordinal);
        var loaded = output.Split('\n').Single(l => l.TrimStart().StartsWith("libtorch_cpu.so", StringComparison.Ordinal));
        Assert.Contains(Path.Combine(external, "libtorch_cpu.so"), loaded, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_external_folder_is_one_clear_error()
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "facecluster.dll"), "devices"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["FACECLUSTER_LIBTORCH"] = "/nonexistent/libtorch";
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("FACECLUSTER_LIBTORCH=/nonexistent/libtorch: no such directory", error, StringComparison.Ordinal);
    }
}
