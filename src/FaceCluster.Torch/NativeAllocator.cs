using System.Runtime.InteropServices;

namespace FaceCluster.Torch;

/// <summary>
/// Tunes glibc's <c>malloc</c>, which serves libtorch's CPU tensors, to keep freed memory for reuse instead of
/// handing it back to the kernel.
/// </summary>
/// <remarks>
/// By default glibc serves blocks over 128 KiB to 32 MiB with fresh <c>mmap</c>s and gives freed heap tops back, so
/// every activation tensor of a convolution network arrives as untouched pages and pays one page fault per 4 KiB on
/// first write. In this project's virtual machines a fault costs about 12 µs: an element-wise op over a 4 MB tensor
/// took 13 ms instead of 0.2 ms, and MTCNN ran three to four times slower. With <c>M_MMAP_MAX = 0</c> and
/// <c>M_TRIM_THRESHOLD</c> at its maximum, freed blocks stay in the heap and the next tensor of that size reuses
/// already-mapped pages. The process keeps its peak native heap (bounded by the largest working set, not growing
/// with the number of calls). <see cref="DisableVariable"/> = <c>0</c> leaves glibc's defaults.
/// </remarks>
internal static class NativeAllocator
{
    /// <summary>Set to <c>0</c> to leave glibc's allocator settings alone.</summary>
    public const string DisableVariable = "FACECLUSTER_MALLOC_RETAIN";

    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapMax = -4; // M_MMAP_MAX

    /// <summary>Applies the settings on glibc Linux; returns whether they were applied.</summary>
    public static bool RetainFreedMemory()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(DisableVariable) == "0")
        {
            return false;
        }

        try
        {
            return mallopt(MmapMax, 0) == 1 && mallopt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (musl has no mallopt)
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}
