using System.Runtime.InteropServices;

namespace FaceCluster.Torch.Tests;

public sealed class RuntimeTuningTests
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate byte GetFlag(IntPtr context);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int GetInt();

    [Fact]
    public void Initialize_turns_nnpack_off_so_libtorch_does_not_warn_on_every_convolution()
    {
        TorchRuntime.Initialize();

        var library = NativeLibrary.Load("libtorch_cpu.so");
        var context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(NativeLibrary.GetExport(library, "_ZN2at13globalContextEv"))();
        var enabled = Marshal.GetDelegateForFunctionPointer<GetFlag>(NativeLibrary.GetExport(library, "_ZNK2at7Context17userEnabledNNPACKEv"))(context);

        Assert.Equal(0, enabled);
    }

    [Fact]
    public void Initialize_turns_mkl_dynamic_threads_off_so_results_do_not_depend_on_the_load()
    {
        TorchRuntime.Initialize();

        var library = NativeLibrary.Load("libtorch_cpu.so");
        var dynamic = Marshal.GetDelegateForFunctionPointer<GetInt>(NativeLibrary.GetExport(library, "mkl_serv_get_dynamic"))();

        Assert.Equal(0, dynamic);
    }
}
