using System.Runtime.InteropServices;

namespace FaceCluster.Torch;

/// <summary>
/// Switches in libtorch's global <c>at::Context</c> that TorchSharp does not expose, reached through libtorch's
/// exported C++ symbols (present in libtorch 2.x; when a symbol is missing the switch is left alone).
/// </summary>
internal static class LibTorchContext
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetFlag(IntPtr context, byte value);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate byte GetFlag(IntPtr context);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetInt(int value);

    /// <summary>
    /// Turns MKL's dynamic threading off (<c>MKL_DYNAMIC=FALSE</c>): by default MKL may use fewer threads than asked when
    /// the machine is busy, which changes the order of its sums, so the same training run gave other floats under load.
    /// Returns whether the switch was found (libtorch builds without MKL have none).
    /// </summary>
    public static bool DisableMklDynamicThreads()
    {
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", out var library) || !NativeLibrary.TryGetExport(library, "MKL_Set_Dynamic", out var setDynamic))
        {
            return false;
        }

        Marshal.GetDelegateForFunctionPointer<SetInt>(setDynamic)(0);
        return true;
    }

    /// <summary>
    /// Turns NNPACK off (<c>torch.backends.nnpack.set_flags(False)</c>). Where NNPACK cannot initialise (it does not
    /// know this machine's CPU), libtorch otherwise prints "Could not initialize NNPACK! Reason: Unsupported hardware."
    /// on standard error for every convolution it considers for NNPACK; oneDNN or the native kernels run them either
    /// way. Returns whether NNPACK is now off.
    /// </summary>
    public static bool DisableNnpack()
    {
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", out var library)
            || !NativeLibrary.TryGetExport(library, "_ZN2at13globalContextEv", out var globalContext)
            || !NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledNNPACKEb", out var setEnabled)
            || !NativeLibrary.TryGetExport(library, "_ZNK2at7Context17userEnabledNNPACKEv", out var getEnabled))
        {
            return false;
        }

        var context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(globalContext)();
        Marshal.GetDelegateForFunctionPointer<SetFlag>(setEnabled)(context, 0);
        return Marshal.GetDelegateForFunctionPointer<GetFlag>(getEnabled)(context) == 0;
    }
}
