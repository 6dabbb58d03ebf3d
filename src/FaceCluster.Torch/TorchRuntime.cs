using System.Runtime.InteropServices;
using TorchSharp;

namespace FaceCluster.Torch;

/// <summary>
/// Loads TorchSharp's natives once per process: those shipped with TorchSharp-cpu by default, or an external libtorch
/// (for example the one inside a PyTorch installation on a GPU node) named by <see cref="LibTorchVariable"/>.
/// </summary>
/// <remarks>
/// With an external libtorch, its libraries are loaded by full path before TorchSharp asks for them by name, so the
/// dynamic linker hands TorchSharp the already-loaded copies (matched by soname) and never the CPU ones beside the app.
/// Initialisation also turns libtorch's NNPACK off (it cannot initialise on these CPUs and would warn on every
/// convolution), turns MKL's dynamic threading off (so that results do not depend on the machine's load), and has glibc
/// keep freed memory for reuse (see <see cref="NativeAllocator"/>).
/// </remarks>
public static class TorchRuntime
{
    /// <summary>Environment variable naming a directory that holds libtorch's shared libraries.</summary>
    public const string LibTorchVariable = "FACECLUSTER_LIBTORCH";

    // Dependency order: each library's DT_NEEDED entries are already in the process when it is opened.
    private static readonly string[] ExternalLibraries =
        ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];

    private static readonly Lock Gate = new();

    /// <summary>
    /// Held by code that seeds torch's default generator and then draws from it (a seeded model initialisation, a
    /// training step's dropout masks), and by code that draws from it unseeded (building modules, whose default
    /// initialisation draws): the generator is process-wide, so another thread's draws in between would change the
    /// numbers (two trainer jobs on one silo, an MTCNN built while a model is initialised).
    /// </summary>
    public static Lock RandomGate { get; } = new();
    private static TorchRuntimeInfo? info;

    /// <summary>What was loaded; initialises on first use.</summary>
    public static TorchRuntimeInfo Info => Initialize();

    /// <summary>
    /// Sets libtorch's intra-op thread count for the calling thread: <paramref name="threads"/>, or one per core when it
    /// is 0 or less. Call it on the thread that computes, right before it does.
    /// </summary>
    /// <remarks>
    /// libtorch keeps the count per OS thread (OpenMP's nthreads and MKL's local setting; a thread takes the process's
    /// last set value once, on its first parallel operation). <c>torch.set_num_threads</c> on one thread leaves every pooled thread
    /// that computed before with its old count, so a training that continued on a thread which had cropped with one
    /// thread summed in another order than an uninterrupted one, and their models differed in the last bits.
    /// </remarks>
    public static void UseThreads(int threads)
    {
        Initialize();

        // A thread's first parallel operation (or count query) sets its count to the process's value once, which then
        // undoes an earlier set_num_threads on it: have that happen first.
        torch.get_num_threads();
        torch.set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);
    }

    /// <summary>
    /// Loads the natives if not yet loaded. <paramref name="libTorchDirectory"/> (or, when null, the environment
    /// variable <see cref="LibTorchVariable"/>) selects an external libtorch; it must be given before the first use.
    /// <paramref name="setting"/> names where the directory came from in error messages (the variable by default).
    /// </summary>
    /// <exception cref="TorchRuntimeException">The natives cannot be loaded; the message says which file and why.</exception>
    public static TorchRuntimeInfo Initialize(string? libTorchDirectory = null, string? setting = null)
    {
        lock (Gate)
        {
            if (info is not null)
            {
                return info;
            }

            var external = libTorchDirectory ?? Environment.GetEnvironmentVariable(LibTorchVariable);
            var loaded = new List<string>();
            if (!string.IsNullOrWhiteSpace(external))
            {
                loaded.AddRange(LoadExternal(external, libTorchDirectory is null ? LibTorchVariable : setting ?? "libtorch directory"));
            }

            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException)
            {
                throw new TorchRuntimeException(
                    $"TorchSharp's native library did not load ({e.Message.Split('\n')[0]}). If the build did not print " +
                    "'marked weak ... so TorchSharp loads here', rebuild; with an external libtorch check " + LibTorchVariable + ".",
                    e);
            }

            LibTorchContext.DisableNnpack();
            LibTorchContext.DisableMklDynamicThreads();
            NativeAllocator.RetainFreedMemory();
            var cuda = torch.cuda.is_available();
            info = new TorchRuntimeInfo(
                string.IsNullOrWhiteSpace(external) ? null : Path.GetFullPath(external),
                loaded,
                cuda,
                cuda ? torch.cuda.device_count() : 0,
                torch.__version__);
            return info;
        }
    }

    /// <summary>
    /// The device a job asked for: <c>auto</c> (CUDA when available, else CPU), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, or CUDA asked for where none is available.</exception>
    public static torch.Device SelectDevice(string? requested)
    {
        var runtime = Initialize();
        var name = string.IsNullOrWhiteSpace(requested) ? "auto" : requested.Trim().ToLowerInvariant();
        if (name == "auto")
        {
            return runtime.CudaAvailable ? torch.CUDA : torch.CPU;
        }

        if (name == "cpu")
        {
            return torch.CPU;
        }

        if (name == "cuda" || name.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!runtime.CudaAvailable)
            {
                throw new ArgumentException(
                    $"device '{requested}': CUDA is not available here (TorchSharp-cpu; set {LibTorchVariable} to a CUDA libtorch).",
                    nameof(requested));
            }

            var index = name == "cuda" ? 0 : int.TryParse(name[5..], out var parsed) ? parsed : -1;
            if (index < 0 || index >= runtime.CudaDeviceCount)
            {
                throw new ArgumentException($"device '{requested}': there are {runtime.CudaDeviceCount} CUDA devices.", nameof(requested));
            }

            return torch.device(DeviceType.CUDA, index);
        }

        throw new ArgumentException($"device '{requested}': expected auto, cpu, cuda or cuda:N.", nameof(requested));
    }

    /// <summary>
    /// Where the process loaded the shared library <paramref name="fileName"/> from (for example <c>libtorch_cpu.so</c>),
    /// read from <c>/proc/self/maps</c>; null when it is not loaded or the platform has no such file.
    /// </summary>
    public static string? LoadedLibraryPath(string fileName)
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
        {
            return null;
        }

        foreach (var line in File.ReadLines(maps))
        {
            var slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0 && Path.GetFileName(line.AsSpan(slash)).SequenceEqual(fileName))
            {
                return line[slash..];
            }
        }

        return null;
    }

    private static List<string> LoadExternal(string directory, string setting)
    {
        if (!Directory.Exists(directory))
        {
            throw new TorchRuntimeException($"{setting}={directory}: no such directory.");
        }

        var loaded = new List<string>();
        foreach (var name in ExternalLibraries)
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                if (name.Contains("cuda", StringComparison.Ordinal))
                {
                    continue;
                }

                throw new TorchRuntimeException($"{setting}={directory}: {name} is missing; expected a libtorch lib directory.");
            }

            try
            {
                NativeLibrary.Load(path);
            }
            catch (DllNotFoundException e)
            {
                throw new TorchRuntimeException($"{path}: cannot load: {e.Message.Split('\n')[0]}", e);
            }

            loaded.Add(path);
        }

        return loaded;
    }
}

/// <summary>What <see cref="TorchRuntime"/> loaded.</summary>
/// <param name="ExternalLibTorch">The external libtorch directory, or null for TorchSharp-cpu's own natives.</param>
/// <param name="PreloadedLibraries">Libraries loaded by full path from the external directory, in order.</param>
/// <param name="CudaAvailable">Whether <c>torch.cuda.is_available()</c>.</param>
/// <param name="CudaDeviceCount">CUDA devices visible.</param>
/// <param name="TorchVersion">libtorch's version string.</param>
public sealed record TorchRuntimeInfo(
    string? ExternalLibTorch,
    IReadOnlyList<string> PreloadedLibraries,
    bool CudaAvailable,
    int CudaDeviceCount,
    string TorchVersion);

/// <summary>TorchSharp's natives could not be loaded.</summary>
public sealed class TorchRuntimeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchRuntimeException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public TorchRuntimeException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public TorchRuntimeException() { }
}
