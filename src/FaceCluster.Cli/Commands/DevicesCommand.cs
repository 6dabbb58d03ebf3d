using System.CommandLine;
using FaceCluster.Torch;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster devices</c>: which libtorch this process runs on (TorchSharp-cpu's own, or the one
/// <c>FACECLUSTER_LIBTORCH</c> names) and which CUDA devices it sees: the first thing to check on a GPU node.
/// </summary>
internal static class DevicesCommand
{
    private static readonly string[] Libraries = ["libtorch_cpu.so", "libtorch_cuda.so", "libLibTorchSharp.so"];

    /// <summary>Builds the <c>devices</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var command = new Command("devices", $"Show the libtorch in use (set ${TorchRuntime.LibTorchVariable} to use another, e.g. PyTorch's on a GPU node) and the CUDA devices it sees.");
        command.SetAction(async (_, _) =>
        {
            var info = TorchRuntime.Initialize();
            var output = context.Output;
            await output.WriteLineAsync($"libtorch {info.TorchVersion}: {(info.ExternalLibTorch is null ? "TorchSharp-cpu's own" : $"external, from {info.ExternalLibTorch}")}").ConfigureAwait(false);
            foreach (var library in Libraries)
            {
                if (TorchRuntime.LoadedLibraryPath(library) is { } path)
                {
                    await output.WriteLineAsync($"  {library,-20} {path}").ConfigureAwait(false);
                }
            }

            await output.WriteLineAsync(info.CudaAvailable
                ? $"CUDA: {info.CudaDeviceCount} device(s); `--device auto` uses cuda:0"
                : "CUDA: not available; `--device auto` uses the CPU").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
